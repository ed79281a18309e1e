"""Safe outputs: refusal without --overwrite, outputs never inputs, atomic replacement."""

import os
import stat

import pytest

from keras_electra.errors import ElectraError
from keras_electra.utils.output_files import atomic_directory
from keras_electra.utils.output_files import atomic_file
from keras_electra.utils.output_files import check_not_input
from keras_electra.utils.output_files import check_output


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def test_check_output_refuses_existing_unless_overwrite(tmp_path):
    check_output(str(tmp_path / "new"))
    check_output(str(tmp_path))  # an empty folder is fine
    write(tmp_path / "a.txt", "x")
    with pytest.raises(ElectraError, match="--overwrite"):
        check_output(str(tmp_path))
    with pytest.raises(ElectraError, match="--output"):
        check_output(str(tmp_path / "a.txt"), option="--output")
    check_output(str(tmp_path), overwrite=True)


def test_check_not_input_refuses_same_parent_and_child(tmp_path):
    preset = tmp_path / "preset"
    preset.mkdir()
    for output in (preset, preset / "sub", tmp_path):
        with pytest.raises(ElectraError, match="would overwrite the input"):
            check_not_input(str(output), [str(preset)])
    check_not_input(str(tmp_path / "other"), [str(preset), None])


def test_atomic_directory_replaces_only_on_success(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    write(out / "old.txt", "old")
    with pytest.raises(RuntimeError):
        with atomic_directory(str(out)) as tmp:
            write(os.path.join(tmp, "new.txt"), "new")
            raise RuntimeError("killed")
    assert os.listdir(out) == ["old.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"]  # no temporary sibling left
    with atomic_directory(str(out)) as tmp:
        write(os.path.join(tmp, "new.txt"), "new")
    assert os.listdir(out) == ["new.txt"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_atomic_outputs_get_the_default_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        with atomic_directory(str(tmp_path / "dir")) as tmp:
            write(os.path.join(tmp, "f"), "x")
        with atomic_file(str(tmp_path / "file.txt")) as f:
            f.write("x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "dir").st_mode) == 0o755
    assert stat.S_IMODE(os.stat(tmp_path / "file.txt").st_mode) == 0o644


def test_atomic_file_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "scores.jsonl"
    write(path, "old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(str(path)) as f:
            f.write("half")
            raise RuntimeError("killed")
    assert path.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["scores.jsonl"]
