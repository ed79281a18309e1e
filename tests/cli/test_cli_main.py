import subprocess
import sys

import pytest

from keras_electra.cli.main import build_parser
from keras_electra.cli.main import main
from keras_electra.cli.main import subcommand_modules


def subcommand_names():
    (action,) = build_parser()._subparsers._group_actions
    return list(action.choices)


def test_every_module_registers_a_subcommand():
    assert len(subcommand_names()) == len(subcommand_modules())
    assert {"quickstart", "benchmark", "vocab", "build-data"} <= set(subcommand_names())


def test_every_command_has_help_with_examples(capsys):
    for name in subcommand_names():
        with pytest.raises(SystemExit) as exit_info:
            main([name, "--help"])
        assert exit_info.value.code == 0
        assert "examples:" in capsys.readouterr().out


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "quickstart" in capsys.readouterr().out


def test_quickstart_runs(tmp_path, capsys):
    assert main(["quickstart", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "discriminator (witty -> tuesday)" in out and "generator: " in out
    # --out gets a copy of the shipped presets.
    assert (tmp_path / "demo" / "discriminator" / "config.json").exists()
    assert (tmp_path / "demo" / "generator" / "task.json").exists()


def test_console_entry_point_help():
    result = subprocess.run([sys.executable, "-m", "keras_electra.cli.main", "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "keras-electra" in result.stdout
