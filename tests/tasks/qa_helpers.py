"""Tiny vocabulary, tokenizer and examples shared by the question-answering tests."""

import json

from keras_electra.data.squad import read_squad
from keras_electra.models.tokenizer import ElectraTokenizer
from keras_electra.tasks.question_answerer_preprocessor import ElectraQuestionAnswererPreprocessor

WORDS = [f"w{i}" for i in range(60)]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "(", ")", "-", ".", "'", ",", "?",
         "1895", "1943", "the", "leader", "was", "john", "smith", "steve", "s", "who",
         "born", "when", "jump", "##ed", "fox", "what", "did"] + WORDS


def tokenizer():
    return ElectraTokenizer(vocabulary=VOCAB)


def preprocessor(sequence_length=16, max_query_length=8, doc_stride=4):
    return ElectraQuestionAnswererPreprocessor(
        tokenizer(), sequence_length=sequence_length,
        max_query_length=max_query_length, doc_stride=doc_stride,
    )


def squad_file(tmp_path, paragraphs, version="1.1", name="squad.json"):
    """Writes `[(context, [(id, question, answer_text_or_None), ...]), ...]` as SQuAD."""
    data = []
    for context, questions in paragraphs:
        qas = []
        for qid, question, answer in questions:
            qa = {"id": qid, "question": question, "answers": []}
            if answer is None:
                qa["is_impossible"] = True
            else:
                qa["answers"] = [{"text": answer, "answer_start": context.index(answer)}]
                if version == "2.0":
                    qa["is_impossible"] = False
            qas.append(qa)
        data.append({"title": "t", "paragraphs": [{"context": context, "qas": qas}]})
    path = tmp_path / name
    path.write_text(json.dumps({"version": version, "data": data}))
    return str(path)


def read(tmp_path, paragraphs, version="1.1"):
    return read_squad(squad_file(tmp_path, paragraphs, version), verbose=False)
