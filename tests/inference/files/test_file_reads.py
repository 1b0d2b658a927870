"""Reading input files stays bounded whatever the path names (issue 14): a pipe or a
device is read no further than the size limit, a name with a NUL is refused in words,
and an empty document says so."""

import os
import time

import pytest

from editor import docfile
from inference.files.fileio import MAX_INPUT_BYTES, ProgramFileError, read_problems, read_program


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_read_no_further_than_the_size_limit(tmp_path):
    endless = tmp_path / "endless.csg"
    endless.symlink_to("/dev/zero")  # its size is 0; reading it never ends
    started = time.process_time()
    with pytest.raises(ProgramFileError) as info:
        read_program(endless)
    assert str(info.value) == f"{endless}: file too large (over {MAX_INPUT_BYTES} bytes)"
    assert time.process_time() - started < 2.0


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_is_read_to_its_end(tmp_path):
    pipe = tmp_path / "problems.jsonl"
    os.mkfifo(pipe)
    if os.fork() == 0:  # the writer
        with open(pipe, "w") as f:
            f.write('{"id": "a", "program": "(Circle 4 8 8)"}\n')
        os._exit(0)
    [(pid, node)] = read_problems(pipe)
    os.wait()
    assert pid == "a" and node.sigma == 1


def test_a_name_with_a_nul_is_refused_in_words(tmp_path):
    with pytest.raises(ProgramFileError) as info:
        read_problems(f"{tmp_path}/a\0b.jsonl")
    assert str(info.value) == f"{tmp_path}/a\\x00b.jsonl: not a usable file name"


@pytest.mark.parametrize("content", ["", "\n", "  \t\n", "\ufeff"])
def test_an_empty_document_says_so(tmp_path, content):
    path = tmp_path / "empty.tsk"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ProgramFileError) as info:
        docfile.read_document(path)
    assert str(info.value) == f"{path}: the file is empty"
