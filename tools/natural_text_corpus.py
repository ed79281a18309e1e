"""An in-domain natural-English pretraining corpus from the shared evaluation data.

Writes two files from `../shared/data` (see its README):

- `pretrain.txt`: one sentence per line, a blank line between documents (the
  format of `keras-electra pretrain --data`). The SST-2 train sentences, the
  acceptable CoLA train sentences, the CoNLL-2000 train and test sentences
  and the SQuAD v1.1 contexts (split into sentences) and questions. Documents
  are runs of `--sentences-per-document` consecutive sentences of one source
  (a SQuAD paragraph is one document).
- `heldout.txt`: the SST-2 dev sentences, one a line, never in `pretrain.txt`
  (for Electric's ranking of real sentences against word swaps).

Example:
```
python tools/natural_text_corpus.py --out /tmp/natural
PYTHONPATH=. python -m keras_electra.cli.main pretrain --data /tmp/natural/pretrain.txt \\
    --out /tmp/demo_run
```
"""

import argparse
import json
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "data")
# A sentence ends at . ! ? followed by a space and an upper-case letter or a quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")


def _tsv_column(path, column, keep=None):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) > column and (keep is None or keep(fields)):
                rows.append(fields[column].strip())
    return [r for r in rows if r]


def _conll_sentences(path):
    sentences, words = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                words.append(line.split()[0])
            elif words:
                sentences.append(" ".join(words))
                words = []
    if words:
        sentences.append(" ".join(words))
    return sentences


def _squad_documents(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)["data"]
    contexts, questions = [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            text = " ".join(paragraph["context"].split())
            contexts.append([s for s in _SENTENCE_END.split(text) if s.strip()])
            questions += [" ".join(qa["question"].split()) for qa in paragraph["qas"]]
    return contexts, questions


def _chunks(sentences, size):
    return [sentences[i : i + size] for i in range(0, len(sentences), size)]


def heldout_sentences(shared=SHARED):
    """The SST-2 dev sentences (held out of `pretrain.txt`)."""
    return _tsv_column(os.path.join(shared, "sst2", "dev.tsv"), 1)


def pretraining_documents(shared=SHARED, sentences_per_document=8):
    """The pretraining corpus as a list of documents (lists of sentences)."""
    documents = []
    documents += _chunks(_tsv_column(os.path.join(shared, "sst2", "train.tsv"), 1),
                         sentences_per_document)
    cola = _tsv_column(os.path.join(shared, "cola", "train.tsv"), 0,
                       keep=lambda fields: fields[-1] == "1")
    documents += _chunks(cola, sentences_per_document)
    for name in ("train.txt", "test.txt"):
        documents += _chunks(_conll_sentences(os.path.join(shared, "conll2000", name)),
                             sentences_per_document)
    contexts, questions = _squad_documents(os.path.join(shared, "squad", "dev-v1.1-part1.json"))
    documents += contexts + _chunks(questions, sentences_per_document)
    heldout = set(heldout_sentences(shared))
    documents = [[s for s in d if s not in heldout] for d in documents]
    return [d for d in documents if d]


def write_corpus(out, shared=SHARED, sentences_per_document=8):
    """Writes `pretrain.txt` and `heldout.txt` into `out`; returns their paths."""
    os.makedirs(out, exist_ok=True)
    documents = pretraining_documents(shared, sentences_per_document)
    pretrain = os.path.join(out, "pretrain.txt")
    with open(pretrain, "w", encoding="utf-8") as f:
        f.write("\n\n".join("\n".join(d) for d in documents) + "\n")
    heldout = os.path.join(out, "heldout.txt")
    with open(heldout, "w", encoding="utf-8") as f:
        f.write("\n".join(heldout_sentences(shared)) + "\n")
    return pretrain, heldout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--shared-data", default=SHARED, help="the shared data folder")
    parser.add_argument("--sentences-per-document", type=int, default=8)
    args = parser.parse_args(argv)
    pretrain, heldout = write_corpus(args.out, args.shared_data, args.sentences_per_document)
    for path in (pretrain, heldout):
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
        print(f"{path}: {len(lines)} sentences, {sum(len(x.split()) for x in lines)} words")


if __name__ == "__main__":
    main()
