"""JSON inputs (program .json, problems.jsonl, .tsk documents) that Python's json module
cannot take give the loader's own one-line error, never a RecursionError or Python's
advice about sys.set_int_max_str_digits() (issue 14)."""

import json

import pytest

from editor import docfile
from inference.files.fileio import (
    MAX_JSON_DIGITS,
    MAX_JSON_VALUES,
    ProgramFileError,
    parse_json,
    read_problems,
    read_program,
)
from tests.inference.bounds import within
from tests.inference.conftest import assert_user_error

DEEP = "[" * 100_000 + "]" * 100_000
DIGITS = "9" * 5000
PYTHON_WORDS = ("Recursion", "recursion", "set_int_max_str_digits", "4300", "Traceback")


def assert_clear(message: str) -> None:
    assert "\n" not in message and len(message) < 250
    assert not any(word in message for word in PYTHON_WORDS), message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP, "JSON nested too deeply"),
        ('{"version": ' + DIGITS + "}", f"a JSON number has more than {MAX_JSON_DIGITS} digits"),
        ("[-" + DIGITS + "]", f"a JSON number has more than {MAX_JSON_DIGITS} digits"),
        ("[" + "{}," * MAX_JSON_VALUES + "{}]", f"too large: more than {MAX_JSON_VALUES} JSON"),
        (
            "{not json",
            "not valid JSON (Expecting property name enclosed in double quotes, column 2)",
        ),
        ('{\n"a": }', "not valid JSON (Expecting value, line 2, column 6)"),
    ],
)
def test_parse_json_says_what_is_wrong(text, message):
    with within(), pytest.raises(ValueError) as info:
        parse_json(text)
    assert str(info.value).startswith(message)
    assert_clear(str(info.value))


def test_parse_json_reads_ordinary_json():
    assert parse_json('{"a": [1, -2, 3.5, "x"], "b": null}') == {
        "a": [1, -2, 3.5, "x"],
        "b": None,
    }
    assert parse_json("1" * MAX_JSON_DIGITS) == int("1" * MAX_JSON_DIGITS)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DEEP, "JSON nested too deeply"),
        (
            '{"format": "treesketch-csg2d", "version": ' + DIGITS + "}",
            "a JSON number has more than 100 digits",
        ),
    ],
)
def test_program_json_files(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ProgramFileError) as info:
        read_program(path)
    assert str(info.value) == f"{path}: {message}"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (DEEP, "JSON nested too deeply"),
        ('{"id": ' + DIGITS + "}", "a JSON number has more than 100 digits"),
    ],
)
def test_problem_sets(tmp_path, line, message):
    path = tmp_path / "deep.jsonl"
    path.write_text('{"id": "a", "program": "(Circle 1 1 1)"}\n' + line + "\n")
    with within(), pytest.raises(ProgramFileError) as info:
        read_problems(path)
    assert str(info.value) == f"{path}, line 2: {message}"


def test_the_cli_renders_no_deep_problem_set(run_cli, tmp_path):
    path = tmp_path / "deep.jsonl"
    path.write_text(DEEP + "\n")
    result = run_cli("render", path, "-o", f"{tmp_path / 'out'}/")
    assert_user_error(result, f"{path}, line 1: JSON nested too deeply")
    assert not (tmp_path / "out").exists()


TSK = {"format": "treesketch-document", "version": 1, "program": "(Circle 1 1 1)"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (DEEP, "not a TreeSketch document: JSON nested too deeply"),
        (
            '{"format": "treesketch-document", "version": ' + DIGITS + "}",
            "not a TreeSketch document: a JSON number has more than 100 digits",
        ),
        (
            json.dumps(TSK | {"locked": list(range(MAX_JSON_VALUES + 1))}),
            f"not a TreeSketch document: too large: more than {MAX_JSON_VALUES} JSON values",
        ),
        (
            json.dumps(TSK | {"program": "(+ " * 5_000_000}),
            "program: line 1, column 604: program nested deeper than 200 levels",
        ),
    ],
)
def test_documents(tmp_path, content, message):
    path = tmp_path / "bad.tsk"
    path.write_text(content)
    with within(), pytest.raises(ProgramFileError) as info:
        docfile.read_document(path)
    assert str(info.value) == f"{path}: {message}"
