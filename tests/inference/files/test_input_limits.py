"""Program text is parsed or refused while it is lexed: depth, primitive count and what
follows the program stop the parser at once, whatever the size of the text (issue 14)."""

import json
import re

import pytest

from inference.benchmarks.input_limits_bench import balanced_program
from inference.cli.commands import main
from inference.files.fileio import (
    MAX_PROBLEMS,
    MAX_SET_PRIMITIVES,
    ProgramFileError,
    read_problems,
    read_program,
)
from inference.lang.syntax import COMPACT, MAX_PRIMITIVES, ParseError, parse, to_text
from inference.lang.tree import circle
from tests.inference.bounds import within

MB15 = 15 * 2**20


def test_deep_nesting_is_refused_before_the_text_is_lexed():
    text = "(+ " * 5_000_000  # 15 MB: 38 s and 1.1 GB when the whole text was lexed first
    with within(), pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value) == "line 1, column 604: program nested deeper than 200 levels"


def test_a_second_program_is_refused_at_its_first_token():
    line = "(Circle 1 1 1)\n"
    text = line * (MB15 // len(line))  # 19 s and 796 MB before
    with within(), pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value) == "line 2, column 1: expected end of input, found '('"


@pytest.mark.parametrize("char", ["x", "C", "é"])
def test_one_huge_token_is_refused_and_quoted_short(char):
    with within(), pytest.raises(ParseError) as info:
        parse(char * MB15)
    assert str(info.value) == f"line 1, column 1: expected '(', found '{char * 40}…'"


def test_whitespace_around_a_program_costs_little():
    program = "(- (Circle 6 8 8) (Quad 8 8 4 4 45))"
    with within():
        assert parse(" \n" * (MB15 // 4) + program + "\t" * (MB15 // 2)) == parse(program)


def test_the_largest_program_parses_and_one_more_primitive_is_refused():
    largest = balanced_program(MAX_PRIMITIVES)
    assert largest.sigma == MAX_PRIMITIVES
    with within():
        assert parse(to_text(largest)) == largest
        assert parse(to_text(largest, COMPACT)) == largest
    text = to_text(balanced_program(MAX_PRIMITIVES + 1))
    with pytest.raises(ParseError) as info:
        parse(text)
    heads = [m.start(1) for m in re.finditer(r"\((Circle|Quad)", text)]
    assert info.value.message == f"program has more than {MAX_PRIMITIVES} primitives"
    assert info.value.expected == "a smaller program"
    assert (info.value.line, info.value.column) == (1, heads[MAX_PRIMITIVES] + 1)


def test_syntax_is_still_detected():
    assert parse("(Quad 7 2 5 7 N)") == parse("(Quad 7 2 5 7 315)")
    assert parse("(Circle F A 0)") == circle(15, 10, 0)
    assert parse("(Circle 1 2 3)") == circle(1, 2, 3)
    # compact errors stay compact errors, wherever the first letter is
    with pytest.raises(ParseError, match="column 17: expected '\\)'"):
        parse("(Quad 1 2 3 4 G 5)")
    with pytest.raises(ParseError, match="expected a hex digit 0-F, found '12'"):
        parse("(Circle A 12 1)")


def test_letters_after_the_canonical_program_ends_are_not_looked_at():
    # the text stops being a canonical program at 'x'; the 'A' after it does not make
    # the whole text compact (it used to, and the error was about '12')
    with pytest.raises(ParseError) as info:
        parse("(Circle 12 1 1) x A")
    assert str(info.value) == "line 1, column 17: expected end of input, found 'x'"


def test_a_huge_program_file_is_one_clear_error(tmp_path):
    path = tmp_path / "deep.csg"
    path.write_text("(+ " * 5_000_000)
    with within(), pytest.raises(ProgramFileError) as info:
        read_program(path)
    assert str(info.value) == f"{path}: line 1, column 604: program nested deeper than 200 levels"


def test_the_cli_refuses_a_huge_program_with_one_line(tmp_path, capsys):
    path = tmp_path / "many.csg"
    line = "(Circle 1 1 1)\n"
    path.write_text(line * (MB15 // len(line)))
    with within():
        status = main(["render", str(path), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert err == (
        f"treesketch: error: {path}: line 2, column 1: expected end of input, found '('\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_program_json_tree_over_the_primitive_limit_is_refused(tmp_path):
    from inference.lang.program_json import to_json

    path = tmp_path / "big.json"
    doc = json.loads(to_json(balanced_program(MAX_PRIMITIVES + 1)))
    del doc["program"]  # the tree alone, which is not parsed as text
    path.write_text(json.dumps(doc))
    with pytest.raises(ProgramFileError) as info:
        read_program(path)
    expected = f"program has {MAX_PRIMITIVES + 1} primitives, more than {MAX_PRIMITIVES}"
    assert str(info.value) == f"{path}: {expected}"


def test_a_problem_set_holds_at_most_max_problems(tmp_path):
    path = tmp_path / "problems.jsonl"
    lines = [json.dumps({"id": f"p{i}", "program": "(Circle 1 1 1)"}) for i in range(MAX_PROBLEMS)]
    path.write_text("\n".join(lines))
    assert len(read_problems(path)) == MAX_PROBLEMS
    path.write_text("\n".join([*lines, "", lines[0].replace('"p0"', '"extra"')]))
    with pytest.raises(ProgramFileError) as info:
        read_problems(path)
    assert str(info.value) == (
        f"{path}, line {MAX_PROBLEMS + 2}: more than {MAX_PROBLEMS} problems in one set"
    )


def test_a_problem_set_holds_at_most_max_set_primitives(tmp_path):
    big = to_text(balanced_program(MAX_PRIMITIVES))
    count = MAX_SET_PRIMITIVES // MAX_PRIMITIVES + 1
    path = tmp_path / "problems.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"p{i}", "program": big}) for i in range(count)))
    with pytest.raises(ProgramFileError) as info:  # tracemalloc would make it slow
        read_problems(path)
    assert str(info.value) == (
        f"{path}, line {count}: more than {MAX_SET_PRIMITIVES} primitives in one set"
    )
