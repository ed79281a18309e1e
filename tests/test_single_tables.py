"""Each table has one source, and its consumers use it."""

import keras_electra  # noqa: F401


def _subcommand_option(command, option):
    from keras_electra.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.choices and command in a.choices)
    return next(a for a in sub.choices[command]._actions if option in a.option_strings)


def test_objectives_are_the_pretrainers():
    from keras_electra.models.pretrainer import OBJECTIVES
    from keras_electra.training import pretraining_run

    assert set(OBJECTIVES) == {"electra", "electric", "mlm", "uniform"}
    assert pretraining_run.OBJECTIVES is OBJECTIVES
    assert tuple(_subcommand_option("pretrain", "--objective").choices) == OBJECTIVES


def test_special_tokens_are_one_list():
    from keras_electra.data import SPECIAL_TOKENS
    from keras_electra.preprocessing import demo_vocabulary

    assert SPECIAL_TOKENS == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    assert demo_vocabulary.SPECIAL_TOKENS is SPECIAL_TOKENS
    assert demo_vocabulary.demo_vocabulary(["b a"]) == SPECIAL_TOKENS + ["a", "b"]
