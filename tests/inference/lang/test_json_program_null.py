"""A program .json whose "program" is null and that has no "tree" is refused like one
with neither (issue 14: from_json returned None and read_program raised AttributeError)."""

import json

import pytest

from inference.files.fileio import ProgramFileError, read_program
from inference.lang import program_json
from inference.lang.syntax import parse

NULL = '{"format": "treesketch-csg2d", "version": 1, "program": null}'


def test_from_json_refuses_a_null_program_without_a_tree():
    with pytest.raises(ValueError) as info:
        program_json.from_json(NULL)
    assert str(info.value) == 'no "tree" or "program" in the document'


def test_read_program_gives_the_files_one_line(tmp_path):
    path = tmp_path / "null.json"
    path.write_text(NULL)
    with pytest.raises(ProgramFileError) as info:
        read_program(path)
    assert str(info.value) == f'{path}: no "tree" or "program" in the document'


@pytest.mark.parametrize("program", [1, [], {}, True])
def test_a_program_that_is_not_a_string_is_refused(program):
    text = json.dumps({"format": "treesketch-csg2d", "version": 1, "program": program})
    with pytest.raises(ValueError, match='"program" must be a string'):
        program_json.from_json(text)


def test_a_null_program_beside_a_tree_is_no_program():
    doc = json.loads(program_json.to_json(parse("(Circle 1 2 3)")))
    doc["program"] = None
    assert program_json.from_json(json.dumps(doc)) == parse("(Circle 1 2 3)")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
        ('{"format": "treesketch-csg2d", "version": ' + "9" * 5000 + "}", "more than 100 digits"),
    ],
)
def test_from_json_reads_bounded_json(text, message):
    with pytest.raises(ValueError, match=message) as info:
        program_json.from_json(text)
    assert "\n" not in str(info.value) and "Recursion" not in str(info.value)
