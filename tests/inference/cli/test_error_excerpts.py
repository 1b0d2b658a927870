"""Errors quote input escaped and shortened: no escape sequence, NUL or megabyte token
reaches a terminal or a dialog (issue 14)."""

import json

import pytest

from editor import docfile
from inference.cli.commands import main
from inference.files.fileio import ProgramFileError, read_problems
from inference.lang.syntax import ParseError, parse
from inference.util.excerpt import excerpt, one_line
from tests.inference.conftest import assert_user_error

PWNED = "\x1b[2J\x1b[31mPWNED"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("Circle", "Circle"),
        (PWNED, "\\x1b[2J\\x1b[31mPWNED"),
        ("a\0b", "a\\x00b"),
        ("tab\there\nnew\rline", "tab\\there\\nnew\\rline"),
        ("\u202eevil", "\\u202eevil"),  # a right-to-left override
        ("\U000e0001tag", "\\U000e0001tag"),
        ("é ü 漢字", "é ü 漢字"),  # printable text is kept as it is
        ("x" * 41, "x" * 40 + "…"),
        ("x" * 40, "x" * 40),
        ("\0" * 5_000_097, "\\x00" * 40 + "…"),
    ],
)
def test_excerpt(text, shown):
    assert excerpt(text) == shown


def test_one_line_keeps_the_start_and_the_end():
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("bad \x1b[31m") == "bad \\x1b[31m"
    message = "file.json: " + "x" * 5_000_000 + ": nested too deeply"
    short = one_line(message, 100)
    assert short.startswith("file.json: xxx") and short.endswith("xx: nested too deeply")
    assert " … " in short and len(short) <= 100


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"(Circle 1 1 {PWNED})", "expected a number 0..15, found '\\x1b[2J\\x1b[31mPWNED'"),
        ("(Circle 1 1 \0)", "expected a number 0..15, found '\\x00'"),
        ("(Quad 1 1 1 1 4\x075)", "angle '4\\x075' is not one of 0, 45, ..., 315"),
        (
            f"({PWNED} 1 1 1)",
            "expected 'Circle', 'Quad', '+' or '-', found '\\x1b[2J\\x1b[31mPWNED'",
        ),
        (f"(Circle 1 1 1) {PWNED}", "expected end of input, found '\\x1b[2J\\x1b[31mPWNED'"),
        ("(Circle 1 1 " + "7" * 5_000_097 + ")", f"found '{'7' * 40}…'"),
        (f"(Circle A {PWNED} 1)", "expected a hex digit 0-F, found '\\x1b[2J\\x1b[31mPWNED'"),
    ],
)
def test_parse_errors_quote_tokens_safely(text, message):
    with pytest.raises(ParseError) as info:
        parse(text)
    assert str(info.value).endswith(message)
    assert str(info.value).isprintable() and len(str(info.value)) < 200


def test_problem_ids_are_quoted_safely(tmp_path):
    path = tmp_path / "problems.jsonl"
    for pid, message in [
        (f"a/{PWNED}", "id 'a/\\x1b[2J\\x1b[31mPWNED' cannot be used as a file name"),
        ("x" * 1000 + "/", f"id '{'x' * 40}…' cannot be used as a file name"),
    ]:
        path.write_text(json.dumps({"id": pid, "program": "(Circle 1 1 1)"}))
        with pytest.raises(ProgramFileError) as info:
            read_problems(path)
        assert str(info.value) == f"{path}, line 1: {message}"
    record = json.dumps({"id": PWNED, "program": "(Circle 1 1 1)"})
    path.write_text(record + "\n" + record)
    with pytest.raises(ProgramFileError, match="line 2: duplicate id '\\\\x1b"):
        read_problems(path)
    path.write_text(json.dumps({"id": PWNED, "program": "(Circle 1 1"}))
    with pytest.raises(ProgramFileError) as info:
        read_problems(path)
    assert "program of '\\x1b[2J\\x1b[31mPWNED': line 1, column 12" in str(info.value)


def test_document_fields_are_quoted_safely():
    text = json.dumps(
        {"format": "treesketch-document", "version": 1, "program": "(Circle 1 1 1)"}
        | {"modality": PWNED + "x" * 100}
    )
    with pytest.raises(ProgramFileError) as info:
        docfile.from_json(text, "a.tsk")
    assert str(info.value) == f"a.tsk: unknown modality '\\x1b[2J\\x1b[31mPWNED{'x' * 26}…'"


def test_the_cli_prints_no_escape_sequence(run_cli, tmp_path):
    path = tmp_path / "evil.csg"
    path.write_text(f"(Circle 1 1 {PWNED})")
    result = run_cli("export", path, "-o", tmp_path / "x.svg")
    assert_user_error(result, "found '\\x1b[2J\\x1b[31mPWNED'")
    assert "\x1b" not in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["render", "a.csg", "-o", "out", "--size", PWNED * 1000], "invalid size '\\x1b[2J"),
        (["render", PWNED * 1000 + ".csg", "-o", "out"], ".csg: no such file"),
    ],
)
def test_the_cli_escapes_and_shortens_every_message(tmp_path, monkeypatch, capsys, args, fragment):
    monkeypatch.chdir(tmp_path)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("treesketch: error: ") and err.count("\n") == 1
    assert "\x1b" not in err and len(err) < 600
    assert fragment in err
