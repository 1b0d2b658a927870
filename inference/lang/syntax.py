"""Reading and writing CSG2D program text.

Two syntaxes are supported (DESIGN.md §1):

* canonical: decimal values and angles in degrees,
  ``(- (Circle 6 8 8) (Quad 8 8 4 4 45))``;
* compact (the paper's): hex digits ``0``-``F`` for values and the letters
  ``G``-``N`` for the angles 0°…315°, ``(- (Circle 6 8 8) (Quad 8 8 4 4 H))``.

:func:`parse` detects the syntax: text holding any single capital letter
``A``-``N`` as a token is compact, anything else canonical (for text that is not a
program, the letters after the place where it stops being a canonical program are
not looked at).  Values out of range are errors, never clamped.  Programs are
limited to :data:`MAX_DEPTH` levels and :data:`MAX_PRIMITIVES` primitives, and
:func:`parse` checks both while it reads, so that any text, even megabytes of it, is
parsed or refused in a fraction of a second.  :func:`to_text` prints either syntax;
``to_text(parse(t)) == t`` for canonical text.
"""

from __future__ import annotations

import re

from inference.lang.tree import (  # the printer lives with the node positions it defines
    ANGLE_LETTERS,
    ANGLE_VALUES,
    CANONICAL,
    COMPACT,
    HEX_DIGITS,
    Node,
    binop,
    circle,
    quad,
    to_text,
    token_strings,
)
from inference.util.excerpt import excerpt

__all__ = [
    "CANONICAL", "COMPACT", "MAX_DEPTH", "MAX_PRIMITIVES", "ParseError",
    "detect_syntax", "parse", "to_text", "token_strings",
]  # fmt: skip


MAX_DEPTH = 200
"""Deepest nesting the parser accepts; deeper input is a ParseError."""

MAX_PRIMITIVES = 4096
"""Most primitives (circles and quads) a program may have; a larger one is a ParseError.

Programs the models write or edit have at most 14 primitives (``inference.model.tokens``),
drawings a few dozen.  4096 leaves room for anything built by hand or by a script,
while every part of the app stays quick on such a program: parsing takes about 0.1 s,
rendering much less, the SVG and DXF exports about a second.  Together with
:data:`MAX_DEPTH` it bounds the work of :func:`parse` on any text, whatever its size
(see :class:`_Parser`).
"""

# whitespace, then a token (group 1) or the end; skipping whitespace with "\s*" is many
# times faster than searching for the next token
_TOKEN_RE = re.compile(r"\s*(?:([()]|[^\s()]+)|\Z)")
_TOKEN_CHARS = 64
"""A token's text is read up to this many characters; every valid token is far shorter."""
_DECIMAL_RE = re.compile(r"0|[1-9][0-9]{0,5}")
# a single capital A-N standing alone as a token (the letter first: much faster to search)
_COMPACT_TOKEN_RE = re.compile(r"[A-N](?<![^\s()][A-N])(?![^\s()])")


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
    """One token: its text (at most ``_TOKEN_CHARS`` characters of it) and where it starts."""

    __slots__ = ("text", "start")

    def __init__(self, match: re.Match):
        self.start = match.start(1)
        self.text = match.string[self.start : min(match.end(1), self.start + _TOKEN_CHARS)]

    @property
    def shown(self) -> str:
        """The token as an error message quotes it (escaped, shortened)."""
        return excerpt(self.text)


def detect_syntax(text: str) -> str:
    """``COMPACT`` when a token is a single capital letter ``A``-``N``, else ``CANONICAL``."""
    return COMPACT if _COMPACT_TOKEN_RE.search(text) else CANONICAL


class _Parser:
    """Recursive descent over a stream of tokens.

    Tokens are lexed one at a time as the parser asks for them, and the limits are
    checked as it goes: deeper than :data:`MAX_DEPTH`, more than :data:`MAX_PRIMITIVES`
    or anything after the program stops it at once.  So the parser reads at most the
    tokens of one accepted program plus one, whatever the length of the text, and line
    and column are worked out only for the token an error is about.
    """

    def __init__(self, text: str, syntax: str):
        self.text = text
        self.matches = _TOKEN_RE.finditer(text)
        self.ahead: _Token | None = self._lex()
        self.syntax = syntax
        self.primitives = 0
        self.stop: _Token | None = None  # the token an error is about; None: the end

    def _lex(self) -> _Token | None:
        match = next(self.matches, None)
        return _Token(match) if match and match.start(1) >= 0 else None

    def _error(self, message: str, expected: str, token: _Token | None = None) -> ParseError:
        token = self.stop = token or self.ahead
        offset = token.start if token else len(self.text)
        line_start = self.text.rfind("\n", 0, offset) + 1
        line = self.text.count("\n", 0, line_start) + 1
        return ParseError(message, line, offset - line_start + 1, expected)

    def _next(self, expected: str) -> _Token:
        tok = self.ahead
        if tok is None:
            raise self._error(f"unexpected end of input, expected {expected}", expected)
        self.ahead = self._lex()
        return tok

    def _expect(self, text: str) -> None:
        tok = self._next(f"'{text}'")
        if tok.text != text:
            raise self._error(f"expected '{text}', found '{tok.shown}'", f"'{text}'", tok)

    def _number(self) -> int:
        tok = self._next("a number 0..15")
        t = tok.text
        if self.syntax == COMPACT:
            if len(t) == 1 and t in HEX_DIGITS:
                return HEX_DIGITS.index(t)
            raise self._error(
                f"expected a hex digit 0-F, found '{tok.shown}'", "a hex digit 0-F", tok
            )
        if not _DECIMAL_RE.fullmatch(t):
            raise self._error(
                f"expected a number 0..15, found '{tok.shown}'", "a number 0..15", tok
            )
        v = int(t)
        if v > 15:
            raise self._error(f"number {v} out of range 0..15", "a number 0..15", tok)
        return v

    def _angle(self) -> int:
        tok = self._next("an angle")
        t = tok.text
        if self.syntax == COMPACT:
            if len(t) == 1 and t in ANGLE_LETTERS:
                return ANGLE_VALUES[ANGLE_LETTERS.index(t)]
            raise self._error(
                f"expected an angle letter G-N, found '{tok.shown}'", "an angle letter G-N", tok
            )
        expected = "an angle in 0, 45, ..., 315"
        if not _DECIMAL_RE.fullmatch(t) or int(t) not in ANGLE_VALUES:
            raise self._error(f"angle '{tok.shown}' is not one of 0, 45, ..., 315", expected, tok)
        return int(t)

    def _primitive(self, head: _Token) -> None:
        self.primitives += 1
        if self.primitives > MAX_PRIMITIVES:
            message = f"program has more than {MAX_PRIMITIVES} primitives"
            raise self._error(message, "a smaller program", head)

    def shape(self, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise self._error(f"program nested deeper than {MAX_DEPTH} levels", "a shorter program")
        self._expect("(")
        head_expected = "'Circle', 'Quad', '+' or '-'"
        tok = self._next(head_expected)
        if tok.text == "Circle":
            self._primitive(tok)
            node = circle(self._number(), self._number(), self._number())
        elif tok.text == "Quad":
            self._primitive(tok)
            x, y, w, h = (self._number() for _ in range(4))
            node = quad(x, y, w, h, self._angle())
        elif tok.text in ("+", "-"):
            left = self.shape(depth + 1)
            node = binop(tok.text, left, self.shape(depth + 1))
        else:
            raise self._error(f"expected {head_expected}, found '{tok.shown}'", head_expected, tok)
        self._expect(")")
        return node

    def program(self) -> Node:
        node = self.shape(0)
        if self.ahead is not None:
            tok = self.ahead
            raise self._error(f"expected end of input, found '{tok.shown}'", "end of input", tok)
        return node

    def read_compact_letter(self) -> bool:
        """True when a token up to the one the parser stopped at is a compact letter ``A``-``N``.

        Only the text the parser has read is searched: a few tokens of at most
        ``_TOKEN_CHARS`` characters each (longer ones stop it) and the whitespace
        between them.
        """
        end = self.stop.start if self.stop else len(self.text)
        if self.stop and len(self.stop.text) == 1 and "A" <= self.stop.text <= "N":
            return True
        return _COMPACT_TOKEN_RE.search(self.text, 0, end) is not None


def parse(text: str, syntax: str | None = None) -> Node:
    """Parse one program; the syntax is detected unless given.

    Any text is parsed or refused in time and memory bounded by the limits
    (:data:`MAX_DEPTH`, :data:`MAX_PRIMITIVES`), not by its length: at most a few
    hundred milliseconds for 16 MB (``python -m inference.benchmarks.input_limits_bench``).

    Raises:
        ParseError: with line, column and what was expected.
    """
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    if syntax is not None:
        return _Parser(text, syntax).program()
    # A canonical program holds no compact letter, so it is the program detect_syntax()
    # would give; compact text stops the canonical parser at its first letter at the
    # latest.  So only the text that parser read needs searching for letters, never
    # megabytes of it.
    canonical = _Parser(text, CANONICAL)
    try:
        return canonical.program()
    except ParseError:
        if not canonical.read_compact_letter():
            raise
    return _Parser(text, COMPACT).program()
