"""Output files are written atomically and never over an input."""
from __future__ import annotations

import os

import pytest

from policytag.atomic import atomic_open, check_not_input, same_file, write_bytes, write_text
from policytag.errors import PolicytagError


def test_a_completed_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "out.jsonl"
    path.write_text("old\n", encoding="utf-8")
    write_text(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, exc):
    path = tmp_path / "out.jsonl"
    path.write_text("good\n", encoding="utf-8")
    with pytest.raises(type(exc)):
        with atomic_open(path) as fh:
            fh.write("half a fi")
            raise exc
    assert path.read_text(encoding="utf-8") == "good\n"
    assert os.listdir(tmp_path) == ["out.jsonl"]


def test_the_old_file_is_visible_until_the_new_one_is_complete(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("good\n", encoding="utf-8")
    with atomic_open(path) as fh:
        fh.write("new")
        fh.flush()
        assert path.read_text(encoding="utf-8") == "good\n"
    assert path.read_text(encoding="utf-8") == "new"


def test_characters_the_encoding_cannot_hold_are_escaped_not_fatal(tmp_path):
    path = tmp_path / "out.jsonl"
    write_text(path, '{"text": "\ud800水"}\n')
    assert path.read_bytes() == '{"text": "\\ud800水"}\n'.encode()  # still valid JSON


def test_binary_writes_and_file_modes(tmp_path):
    path = tmp_path / "chart.png"
    write_bytes(path, b"\x89PNG")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.read_bytes() == b"\x89PNG" and path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)
    write_bytes(path, b"again")
    assert path.stat().st_mode & 0o777 == 0o640


def test_an_input_is_recognised_through_relative_paths_and_links(tmp_path, monkeypatch):
    src = tmp_path / "in.txt"
    src.write_text("x", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(src)
    os.link(src, tmp_path / "hard.txt")
    monkeypatch.chdir(tmp_path)
    assert same_file("in.txt", src) and same_file("link.txt", src) and same_file("hard.txt", src)
    assert same_file("./sub/../in.txt", src)
    assert not same_file("new.txt", src)
    for out in ["in.txt", "link.txt", "hard.txt"]:
        with pytest.raises(PolicytagError) as err:
            check_not_input(out, ["other.txt", str(src)])
        assert err.value.code == "E050"
    check_not_input("new.txt", [str(src), "-"])
