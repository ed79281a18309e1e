"""ElectraQuestionAnswererPreprocessor: SQuAD examples to overlapping-window features."""

import collections
import dataclasses

import keras
import numpy as np
from keras_hub.models import Preprocessor

from keras_electra.errors import ElectraError
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.tokenizer import ElectraTokenizer


@dataclasses.dataclass
class QAFeature:
    """One window of one example, with what decoding needs to map back.

    `token_to_orig_map[i]` is the whitespace word (of `example.doc_tokens`)
    that wordpiece position `i` came from; `token_is_max_context[i]` says
    whether this window gives position `i` its most context. Labels are
    positions in the window, `(0, 0)` ([CLS]) when the answer is outside it
    or the question is unanswerable.
    """

    example_index: int
    doc_span_index: int
    tokens: list
    token_ids: list
    segment_ids: list
    padding_mask: list
    token_to_orig_map: dict
    token_is_max_context: dict
    start_position: int = None
    end_position: int = None
    is_impossible: bool = False


class QAFeatures:
    """The features of a list of examples, and their arrays.

    Attributes:
        examples: the `SquadExample`s.
        features: `QAFeature`s in order; several per long example.
        skipped: examples left out (training only: no findable answer).
    """

    def __init__(self, examples, features, skipped=0, tokenizer=None):
        self.examples = examples
        self.features = features
        self.skipped = skipped
        self.tokenizer = tokenizer

    def __len__(self):
        return len(self.features)

    def inputs(self):
        """`{"token_ids", "segment_ids", "padding_mask"}` int32 arrays."""
        return {
            key: np.array([getattr(f, key) for f in self.features], "int32").reshape(
                len(self.features), -1
            )
            for key in ("token_ids", "segment_ids", "padding_mask")
        }

    def labels(self):
        """`{"start_positions", "end_positions", "is_impossible"}` int32 arrays."""
        missing = [i for i, f in enumerate(self.features) if f.start_position is None]
        if missing:
            raise ValueError(
                f"{len(missing)} features have no labels (e.g. feature {missing[0]}, "
                f"question {self.examples[self.features[missing[0]].example_index].qas_id!r})."
            )
        return {
            "start_positions": np.array([f.start_position for f in self.features], "int32"),
            "end_positions": np.array([f.end_position for f in self.features], "int32"),
            "is_impossible": np.array([int(f.is_impossible) for f in self.features], "int32"),
        }


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraQuestionAnswererPreprocessor(Preprocessor):
    """Turns SQuAD examples into `[CLS] question [SEP] context-window [SEP]` features.

    Faithful to google-research/electra's `qa_tasks.py`: the context is split
    on whitespace (the reader keeps a char→word offset), each word into
    wordpieces (word→wordpiece offsets both ways); the question is cut to
    `max_query_length` wordpieces; contexts that don't fit are covered by
    windows of `sequence_length - len(question) - 3` wordpieces starting every
    `doc_stride` wordpieces. Answer spans are refined to the wordpieces that
    match the tokenized answer (`_improve_answer_span`).

    Pure Python (no TensorFlow). Use `featurize()` on `SquadExample`s; calling
    the layer passes already-featurized dicts through unchanged (so a task
    preset can hold it and `fit` can take feature arrays).

    Args:
        tokenizer: an `ElectraTokenizer`.
        sequence_length: int. Window length, 384 or 512 usually.
        max_query_length: int. Question wordpieces kept (64).
        doc_stride: int. Wordpieces between window starts (128).

    Example:
    ```python
    from keras_electra.data.squad import read_squad
    preprocessor = ElectraQuestionAnswererPreprocessor(tokenizer, sequence_length=384)
    features = preprocessor.featurize(read_squad("dev-v1.1.json").examples)
    features.inputs()["token_ids"].shape  # (num_windows, 384)
    ```
    """

    backbone_cls = ElectraBackbone
    tokenizer_cls = ElectraTokenizer

    def __init__(
        self,
        tokenizer,
        sequence_length=384,
        max_query_length=64,
        doc_stride=128,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (
            ("sequence_length", sequence_length),
            ("max_query_length", max_query_length),
            ("doc_stride", doc_stride),
        ):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ElectraError(f"`{name}` must be an integer. Received: {value!r}.")
        if max_query_length < 1 or doc_stride < 1:
            raise ElectraError(
                "`max_query_length` and `doc_stride` must be positive. Received: "
                f"max_query_length={max_query_length}, doc_stride={doc_stride}."
            )
        if sequence_length - max_query_length - 3 < 1:
            raise ElectraError(
                f"`sequence_length` ({sequence_length}) leaves no room for the "
                f"context after a question of up to {max_query_length} wordpieces "
                "and 3 special tokens."
            )
        self.tokenizer = tokenizer
        self.sequence_length = sequence_length
        self.max_query_length = max_query_length
        self.doc_stride = doc_stride

    def build(self, input_shape):
        self.built = True

    def call(self, x, y=None, sample_weight=None):
        if not isinstance(x, dict) or "token_ids" not in x:
            raise ValueError(
                "ElectraQuestionAnswererPreprocessor takes featurized inputs "
                "(a dict with 'token_ids', 'segment_ids', 'padding_mask'). Build "
                "them with `preprocessor.featurize(examples).inputs()`. "
                f"Received: {type(x).__name__}."
            )
        return keras.utils.pack_x_y_sample_weight(x, y, sample_weight)

    def wordpieces(self, text):
        """Wordpiece strings of `text`, as the original's `FullTokenizer.tokenize`."""
        return self.tokenizer.wordpieces(text)

    def featurize(self, examples, training=False, verbose=False):
        """Features of `examples` (`SquadExample`s or a `SquadDataset`).

        Args:
            examples: the examples.
            training: skip examples without a findable answer (their count
                is in `skipped`). Labels are filled whenever known.
            verbose: show a progress bar.

        Returns:
            A `QAFeatures`.
        """
        examples = list(getattr(examples, "examples", examples))
        vocab = self.tokenizer.get_vocabulary()
        token_to_id = {token: i for i, token in enumerate(vocab)}
        cls_token, sep_token = "[CLS]", "[SEP]"
        doc_cache = {}
        features = []
        kept = []
        skipped = 0
        progress = keras.utils.Progbar(len(examples)) if verbose else None
        for example in examples:
            if progress is not None:
                progress.add(1)
            if training and not example.trainable:
                skipped += 1
                continue
            example_index = len(kept)
            kept.append(example)
            key = id(example.doc_tokens)
            if key not in doc_cache:
                doc_cache[key] = self._tokenize_doc(example.doc_tokens)
            all_doc_tokens, tok_to_orig_index, orig_to_tok_index = doc_cache[key]
            query_tokens = self.wordpieces(example.question_text)[: self.max_query_length]
            tok_start, tok_end = self._answer_span(
                example, all_doc_tokens, orig_to_tok_index
            )
            max_tokens_for_doc = self.sequence_length - len(query_tokens) - 3
            doc_spans = doc_windows(len(all_doc_tokens), max_tokens_for_doc, self.doc_stride)
            for span_index, (span_start, span_length) in enumerate(doc_spans):
                tokens = [cls_token] + query_tokens + [sep_token]
                segment_ids = [0] * len(tokens)
                token_to_orig_map = {}
                token_is_max_context = {}
                for i in range(span_length):
                    split_index = span_start + i
                    token_to_orig_map[len(tokens)] = tok_to_orig_index[split_index]
                    token_is_max_context[len(tokens)] = is_max_context(
                        doc_spans, span_index, split_index
                    )
                    tokens.append(all_doc_tokens[split_index])
                    segment_ids.append(1)
                tokens.append(sep_token)
                segment_ids.append(1)
                pad = self.sequence_length - len(tokens)
                token_ids = [token_to_id[t] for t in tokens] + [0] * pad
                padding_mask = [1] * len(tokens) + [0] * pad
                segment_ids = segment_ids + [0] * pad
                start = end = None
                if example.is_impossible:
                    start = end = 0
                elif tok_start is not None:
                    doc_end = span_start + span_length - 1
                    if tok_start >= span_start and tok_end <= doc_end:
                        offset = len(query_tokens) + 2
                        start = tok_start - span_start + offset
                        end = tok_end - span_start + offset
                    else:
                        start = end = 0
                features.append(
                    QAFeature(
                        example_index=example_index,
                        doc_span_index=span_index,
                        tokens=tokens,
                        token_ids=token_ids,
                        segment_ids=segment_ids,
                        padding_mask=padding_mask,
                        token_to_orig_map=token_to_orig_map,
                        token_is_max_context=token_is_max_context,
                        start_position=start,
                        end_position=end,
                        is_impossible=bool(example.is_impossible),
                    )
                )
        if verbose and skipped:
            print(f"Skipped {skipped} examples whose answer is not in the context.")
        return QAFeatures(kept, features, skipped, self.tokenizer)

    def _tokenize_doc(self, doc_tokens):
        """Wordpieces of each whitespace word, and both index maps."""
        tok_to_orig_index, orig_to_tok_index, all_doc_tokens = [], [], []
        for i, word in enumerate(doc_tokens):
            orig_to_tok_index.append(len(all_doc_tokens))
            for piece in self.wordpieces(word):
                tok_to_orig_index.append(i)
                all_doc_tokens.append(piece)
        return all_doc_tokens, tok_to_orig_index, orig_to_tok_index

    def _answer_span(self, example, all_doc_tokens, orig_to_tok_index):
        """Wordpiece span of the answer, or `(None, None)`."""
        if example.is_impossible or example.start_position is None:
            return None, None
        start = orig_to_tok_index[example.start_position]
        if example.end_position < len(example.doc_tokens) - 1:
            end = orig_to_tok_index[example.end_position + 1] - 1
        else:
            end = len(all_doc_tokens) - 1
        return improve_answer_span(
            all_doc_tokens, start, end, self.wordpieces(example.orig_answer_text)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "sequence_length": self.sequence_length,
                "max_query_length": self.max_query_length,
                "doc_stride": self.doc_stride,
            }
        )
        return config


def doc_windows(num_tokens, max_tokens_for_doc, doc_stride):
    """`(start, length)` windows covering `num_tokens` wordpieces."""
    spans = []
    start = 0
    while start < num_tokens:
        length = min(num_tokens - start, max_tokens_for_doc)
        spans.append((start, length))
        if start + length == num_tokens:
            break
        start += min(length, doc_stride)
    if not spans:  # an empty context still gets one (empty) window
        spans.append((0, 0))
    return spans


def is_max_context(doc_spans, span_index, position):
    """Whether window `span_index` gives `position` the most context."""
    best_score, best_index = None, None
    for index, (start, length) in enumerate(doc_spans):
        end = start + length - 1
        if position < start or position > end:
            continue
        score = min(position - start, end - position) + 0.01 * length
        if best_score is None or score > best_score:
            best_score, best_index = score, index
    return span_index == best_index


def improve_answer_span(doc_tokens, start, end, answer_tokens):
    """The sub-span of `[start, end]` whose wordpieces equal the answer's."""
    target = " ".join(answer_tokens)
    for new_start in range(start, end + 1):
        for new_end in range(end, new_start - 1, -1):
            if " ".join(doc_tokens[new_start : new_end + 1]) == target:
                return new_start, new_end
    return start, end


def feature_groups(features):
    """Maps example index to its feature indices, in order."""
    groups = collections.defaultdict(list)
    for i, feature in enumerate(features):
        groups[feature.example_index].append(i)
    return groups
