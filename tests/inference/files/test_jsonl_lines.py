"""A problems.jsonl is split into records at "\\n" only (issue 14): str.splitlines also
broke at U+2028, U+0085, \\x1c… that a JSON string may hold raw, so a valid set with
such an id was refused ("not valid JSON (Unterminated string…)")."""

import json

import numpy as np
import pytest
from PIL import Image

from inference.cli import bench
from inference.files.fileio import ProgramFileError, jsonl_lines, read_problems
from inference.lang.syntax import parse

SEPARATORS = ["\u2028", "\u2029", "\x85"]
"""What str.splitlines breaks at and a JSON string may hold raw (not \\x1c…: JSON escapes
control characters)."""


def _write(path, records, newline="\n", raw=True):
    lines = [json.dumps(r, ensure_ascii=not raw) for r in records]
    path.write_bytes(newline.join(lines).encode("utf-8") + newline.encode())
    return path


@pytest.mark.parametrize("sep", SEPARATORS)
def test_an_id_with_a_raw_line_separator_is_read(tmp_path, sep):
    records = [
        {"id": f"a{sep}b", "program": "(Circle 1 2 3)"},
        {"id": "c", "program": "(Quad 1 2 3 4 0)"},
    ]
    path = _write(tmp_path / "problems.jsonl", records)
    assert sep in path.read_text(encoding="utf-8")  # written raw, not as \\u escapes
    assert read_problems(path) == [
        (f"a{sep}b", parse("(Circle 1 2 3)")),
        ("c", parse("(Quad 1 2 3 4 0)")),
    ]


def test_windows_line_ends_and_blank_lines(tmp_path):
    records = [
        {"id": "a\u2028", "program": "(Circle 1 2 3)"},
        {"id": "b", "program": "(Circle 2 2 3)"},
    ]
    path = tmp_path / "problems.jsonl"
    path.write_bytes(
        ("\r\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\r\n\r\n").encode()
    )
    assert [pid for pid, _ in read_problems(path)] == ["a\u2028", "b"]


def test_line_numbers_count_newlines_only(tmp_path):
    path = tmp_path / "problems.jsonl"
    good = json.dumps({"id": "a\u2028\x85", "program": "(Circle 1 2 3)"}, ensure_ascii=False)
    path.write_text(good + "\n" + '{"id": "b"}' + "\n", encoding="utf-8")
    with pytest.raises(ProgramFileError, match=r", line 2: "):
        read_problems(path)


def test_jsonl_lines():
    assert jsonl_lines('{"a": "x\u2028y"}\r\n\n{"b": 1}') == ['{"a": "x\u2028y"}', "", '{"b": 1}']


def test_bench_finds_the_png_of_such_an_id(tmp_path):
    pid = "a\u2028b"
    records = [{"id": pid, "program": "(Circle 1 2 3)", "png": "target.png"}]
    _write(tmp_path / "problems.jsonl", records)
    image = np.zeros((128, 128), np.uint8)
    image[10:40, 10:40] = 255  # not the program's render: the bench must read this file
    Image.fromarray(image).save(tmp_path / "target.png")
    (problem,) = bench.load_problems(tmp_path)
    assert problem.id == pid
    assert bench._png_names(tmp_path / "problems.jsonl") == {pid: "target.png"}
