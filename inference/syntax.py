"""Reading and writing CSG2D program text.

Two syntaxes are supported (DESIGN.md §1):

* canonical: decimal values and angles in degrees,
  ``(- (Circle 6 8 8) (Quad 8 8 4 4 45))``;
* compact (the paper's): hex digits ``0``-``F`` for values and the letters
  ``G``-``N`` for the angles 0°…315°, ``(- (Circle 6 8 8) (Quad 8 8 4 4 H))``.

:func:`parse` detects the syntax: text holding any single capital letter
``A``-``N`` as a token is compact, anything else canonical.  Values out of
range are errors, never clamped.  :func:`to_text` prints either syntax;
``to_text(parse(t)) == t`` for canonical text.
"""

from __future__ import annotations

import re

from inference.excerpt import excerpt
from inference.tree import (
    ANGLE_LEAF,
    ANGLE_VALUES,
    BINOP,
    CIRCLE,
    QUAD,
    Node,
    binop,
    circle,
    quad,
)

CANONICAL = "canonical"
COMPACT = "compact"

MAX_DEPTH = 200
"""Deepest nesting the parser accepts; deeper input is a ParseError."""

_HEX = "0123456789ABCDEF"
_ANGLE_LETTERS = "GHIJKLMN"
_TOKEN_RE = re.compile(r"\(|\)|[^\s()]+")
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]{0,5}")
_COMPACT_MARK_RE = re.compile(r"[A-N]")


class ParseError(ValueError):
    """Malformed program text.

    Attributes:
        line: 1-based line of the offending token (or of the end of input).
        column: 1-based column.
        expected: a short description of what was expected there.
    """

    def __init__(self, message: str, line: int, column: int, expected: str = ""):
        self.message = message
        self.line = line
        self.column = column
        self.expected = expected
        super().__init__(f"line {line}, column {column}: {message}")


class _Token:
    __slots__ = ("text", "line", "column")

    def __init__(self, text: str, line: int, column: int):
        self.text = text
        self.line = line
        self.column = column


def _lex(text: str) -> list[_Token]:
    tokens = []
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    line = 0
    for m in _TOKEN_RE.finditer(text):
        while line + 1 < len(line_starts) and line_starts[line + 1] <= m.start():
            line += 1
        tokens.append(_Token(m.group(), line + 1, m.start() - line_starts[line] + 1))
    return tokens


def detect_syntax(text: str) -> str:
    """``COMPACT`` when a token is a single capital letter ``A``-``N``, else ``CANONICAL``."""
    for m in _TOKEN_RE.finditer(text):
        if _COMPACT_MARK_RE.fullmatch(m.group()):
            return COMPACT
    return CANONICAL


class _Parser:
    def __init__(self, text: str, syntax: str):
        self.tokens = _lex(text)
        self.i = 0
        self.syntax = syntax
        last_line = text.count("\n") + 1
        self.eof = (last_line, len(text) - (text.rfind("\n") + 1) + 1)

    def _error(self, message: str, expected: str, token: _Token | None = None) -> ParseError:
        if token is None:
            token = self.tokens[self.i] if self.i < len(self.tokens) else None
        line, col = (token.line, token.column) if token else self.eof
        return ParseError(message, line, col, expected)

    def _next(self, expected: str) -> _Token:
        if self.i >= len(self.tokens):
            raise self._error(f"unexpected end of input, expected {expected}", expected)
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def _expect(self, text: str) -> None:
        tok = self._next(f"'{text}'")
        if tok.text != text:
            raise self._error(f"expected '{text}', found '{excerpt(tok.text)}'", f"'{text}'", tok)

    def _number(self) -> int:
        tok = self._next("a number 0..15")
        t = tok.text
        if self.syntax == COMPACT:
            if len(t) == 1 and t in _HEX:
                return _HEX.index(t)
            raise self._error(
                f"expected a hex digit 0-F, found '{excerpt(t)}'", "a hex digit 0-F", tok
            )
        if not _DECIMAL_RE.fullmatch(t):
            raise self._error(
                f"expected a number 0..15, found '{excerpt(t)}'", "a number 0..15", tok
            )
        v = int(t)
        if v > 15:
            raise self._error(f"number {v} out of range 0..15", "a number 0..15", tok)
        return v

    def _angle(self) -> int:
        tok = self._next("an angle")
        t = tok.text
        if self.syntax == COMPACT:
            if len(t) == 1 and t in _ANGLE_LETTERS:
                return ANGLE_VALUES[_ANGLE_LETTERS.index(t)]
            raise self._error(
                f"expected an angle letter G-N, found '{excerpt(t)}'", "an angle letter G-N", tok
            )
        expected = "an angle in 0, 45, ..., 315"
        if not _DECIMAL_RE.fullmatch(t) or int(t) not in ANGLE_VALUES:
            raise self._error(f"angle '{excerpt(t)}' is not one of 0, 45, ..., 315", expected, tok)
        return int(t)

    def shape(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self._error(f"program nested deeper than {MAX_DEPTH} levels", "a shorter program")
        self._expect("(")
        head_expected = "'Circle', 'Quad', '+' or '-'"
        tok = self._next(head_expected)
        if tok.text == "Circle":
            node = circle(self._number(), self._number(), self._number())
        elif tok.text == "Quad":
            x, y, w, h = (self._number() for _ in range(4))
            node = quad(x, y, w, h, self._angle())
        elif tok.text in ("+", "-"):
            left = self.shape(depth + 1)
            node = binop(tok.text, left, self.shape(depth + 1))
        else:
            raise self._error(
                f"expected {head_expected}, found '{excerpt(tok.text)}'", head_expected, tok
            )
        self._expect(")")
        return node

    def program(self) -> Node:
        node = self.shape(0)
        if self.i < len(self.tokens):
            tok = self.tokens[self.i]
            raise self._error(
                f"expected end of input, found '{excerpt(tok.text)}'", "end of input", tok
            )
        return node


def parse(text: str, syntax: str | None = None) -> Node:
    """Parse one program; the syntax is detected unless given.

    Raises:
        ParseError: with line, column and what was expected.
    """
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    return _Parser(text, syntax or detect_syntax(text)).program()


def to_text(node: Node, syntax: str = CANONICAL) -> str:
    """Print a subtree in canonical (default) or compact syntax."""
    return " ".join(_pieces(node, syntax)).replace("( ", "(").replace(" )", ")")


def _pieces(node: Node, syntax: str) -> list[str]:
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, str):
            out.append(n)
        elif n.kind == BINOP:
            out += ["(", n.children[0].value]
            stack += [")", n.children[2], n.children[1]]
        elif n.kind in (CIRCLE, QUAD):
            out += ["(", n.kind]
            stack.append(")")
            stack += reversed(n.children)
        else:
            out.append(_leaf_text(n, syntax))
    return out


def _leaf_text(n: Node, syntax: str) -> str:
    if isinstance(n.value, str):
        return n.value
    if syntax == COMPACT:
        if n.kind == ANGLE_LEAF:
            return _ANGLE_LETTERS[ANGLE_VALUES.index(n.value)]
        return _HEX[n.value]
    return str(n.value)


def token_strings(node: Node) -> list[str]:
    """The canonical token sequence; index ``k`` is node position ``k``."""
    return _pieces(node, CANONICAL)
