"""Reading and writing program text, for any language (:mod:`inference.lang.grammar`).

CSG2D's text has two syntaxes (DESIGN.md §1):

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

Other languages have the canonical syntax only: ``parse(text, grammar=TINYSVG)``
reads ``(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)``, with
the same limits and the same kind of messages; :func:`detect_language` tells the
language of a text from its first keyword.
"""

from __future__ import annotations

import re

from inference.lang.grammar import CSG2D, GRAMMARS, Grammar, LeafDomain, Spelling, join_choices
from inference.lang.tree import (  # the printer lives with the node positions it defines
    CANONICAL,
    COMPACT,
    Node,
    interned,
    to_text,
    token_strings,
)
from inference.util.excerpt import excerpt

__all__ = [
    "CANONICAL", "COMPACT", "MAX_DEPTH", "MAX_PRIMITIVES", "ParseError",
    "detect_language", "detect_syntax", "parse", "to_text", "token_strings",
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


class _LeafReader:
    """How a parser reads one leaf nonterminal in one syntax."""

    __slots__ = ("nodes", "spelling", "at_end")

    def __init__(self, domain: LeafDomain, syntax: str):
        self.spelling: Spelling = domain.spelling(syntax)
        shared = interned(domain.kind)
        self.nodes = {t: shared[v] for v, t in zip(domain.values, self.spelling.texts, strict=True)}
        self.at_end = domain.at_end


class _Tables:
    """A grammar's parse tables in one syntax: what may follow ``(``, how leaves read.

    ``heads[nt][token]`` is ``(kind, primitive, leading leaf or None, steps)``, where
    ``steps`` holds, for each child after the head, its nonterminal and its
    :class:`_LeafReader` (``None`` for an inner child).
    """

    def __init__(self, grammar: Grammar, syntax: str):
        self.grammar = grammar
        self.leaves = {d.nonterminal: _LeafReader(d, syntax) for d in grammar.leaves}
        self.heads: dict[str, dict[str, tuple]] = {}
        self.expected: dict[str, str] = {}
        for p in grammar.productions:
            steps = tuple((nt, self.leaves.get(nt)) for nt in p.children)
            heads = self.heads.setdefault(p.nonterminal, {})
            if p.keyword is not None:
                heads[p.keyword] = (p.kind, p.primitive, None, steps)
            else:
                for text, node in self.leaves[p.children[0]].nodes.items():
                    heads[text] = (p.kind, p.primitive, node, steps[1:])
        for nt in self.heads:
            self.expected[nt] = join_choices(grammar.head_tokens(nt, syntax))
        # head tokens of the other languages, for a clearer message
        self.foreign = {
            token: other.name
            for other in GRAMMARS.values()
            if other is not grammar
            for nt in other.nonterminals
            for s in other.syntaxes
            for token in other.head_tokens(nt, s)
        }


_TABLES: dict[tuple[Grammar, str, int], _Tables] = {}


def _tables(grammar: Grammar, syntax: str) -> _Tables:
    # grammars are only ever added, so their count tells whether the tables are current
    key = (grammar, syntax, len(GRAMMARS))
    tables = _TABLES.get(key)
    if tables is None:
        tables = _TABLES[key] = _Tables(grammar, syntax)
    return tables


class _Parser:
    """Recursive descent over a stream of tokens, driven by a grammar's tables.

    Tokens are lexed one at a time as the parser asks for them, and the limits are
    checked as it goes: deeper than :data:`MAX_DEPTH`, more than :data:`MAX_PRIMITIVES`
    or anything after the program stops it at once.  So the parser reads at most the
    tokens of one accepted program plus one, whatever the length of the text, and line
    and column are worked out only for the token an error is about.
    """

    def __init__(self, text: str, syntax: str, grammar: Grammar = CSG2D):
        self.text = text
        self.matches = _TOKEN_RE.finditer(text)
        self.ahead: _Token | None = self._lex()
        self.syntax = syntax
        self.grammar = grammar
        self.tables = _tables(grammar, syntax)
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

    def _leaf(self, reader: _LeafReader) -> Node:
        tok = self._next(reader.at_end)
        node = reader.nodes.get(tok.text)
        if node is not None:
            return node
        spelling = reader.spelling
        if spelling.out_of_range is not None and _DECIMAL_RE.fullmatch(tok.text):
            message = spelling.out_of_range.format(value=int(tok.text))
            raise self._error(message, spelling.expected, tok)
        raise self._error(spelling.mismatch.format(found=tok.shown), spelling.expected, tok)

    def _primitive(self, head: _Token) -> None:
        self.primitives += 1
        if self.primitives > MAX_PRIMITIVES:
            message = f"program has more than {MAX_PRIMITIVES} primitives"
            raise self._error(message, "a smaller program", head)

    def _head_error(self, tok: _Token, expected: str) -> ParseError:
        message = f"expected {expected}, found '{tok.shown}'"
        other = self.tables.foreign.get(tok.text)
        if other is not None:
            message += f", which is {other}, not {self.grammar.name}"
        return self._error(message, expected, tok)

    def inner(self, nonterminal: str, depth: int) -> Node:
        """One ``( head children )`` of an inner nonterminal, at nesting ``depth``."""
        if depth > MAX_DEPTH:
            raise self._error(f"program nested deeper than {MAX_DEPTH} levels", "a shorter program")
        self._expect("(")
        expected = self.tables.expected[nonterminal]
        tok = self._next(expected)
        entry = self.tables.heads[nonterminal].get(tok.text)
        if entry is None:
            raise self._head_error(tok, expected)
        kind, primitive, first, steps = entry
        if primitive:
            self._primitive(tok)
        kids = [] if first is None else [first]
        for nt, reader in steps:
            kids.append(self.inner(nt, depth + 1) if reader is None else self._leaf(reader))
        self._expect(")")
        return Node(kind, None, tuple(kids))

    def program(self) -> Node:
        start = self.grammar.start
        reader = self.tables.leaves.get(start)
        node = self.inner(start, 0) if reader is None else self._leaf(reader)
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


def parse(text: str, syntax: str | None = None, grammar: Grammar | None = None) -> Node:
    """Parse one program of ``grammar`` (CSG2D by default); the syntax is detected unless given.

    Any text is parsed or refused in time and memory bounded by the limits
    (:data:`MAX_DEPTH`, :data:`MAX_PRIMITIVES`), not by its length: at most a few
    hundred milliseconds for 16 MB (``python -m inference.benchmarks.input_limits_bench``).
    Text of another language is refused like any other; the message names the
    language of the word that gave it away.

    Raises:
        ParseError: with line, column and what was expected.
        ValueError: for a syntax the grammar does not have.
    """
    if not isinstance(text, str):
        raise TypeError("parse() takes a str")
    grammar = CSG2D if grammar is None else grammar
    if syntax is not None or len(grammar.syntaxes) == 1:
        syntax = grammar.syntaxes[0] if syntax is None else syntax
        if syntax not in grammar.syntaxes:
            raise ValueError(f"{grammar.name} has no {syntax} syntax")
        return _Parser(text, syntax, grammar).program()
    # A canonical program holds no compact letter, so it is the program detect_syntax()
    # would give; compact text stops the canonical parser at its first letter at the
    # latest.  So only the text that parser read needs searching for letters, never
    # megabytes of it.
    canonical = _Parser(text, CANONICAL, grammar)
    try:
        return canonical.program()
    except ParseError:
        if not canonical.read_compact_letter():
            raise
    return _Parser(text, COMPACT, grammar).program()


def detect_language(text: str) -> Grammar:
    """The language of ``text``: the grammar whose keyword (or leading token, such as
    CSG2D's ``+``) comes first in it, standing alone as a token.

    Text without any is CSG2D's, so that :func:`parse` says what is wrong with it.
    One regular-expression search: in a program the keyword comes at once, and
    16 MB of text without any takes about half a second.
    """
    pattern, owners = _head_search()
    match = pattern.search(text)
    return owners[match.group(1)] if match else CSG2D


_HEADS: dict[int, tuple[re.Pattern, dict[str, Grammar]]] = {}


def _head_search() -> tuple[re.Pattern, dict[str, Grammar]]:
    """A search for any grammar's head token standing alone, and each token's grammar."""
    cached = _HEADS.get(len(GRAMMARS))  # grammars are only ever added
    if cached is None:
        owners: dict[str, Grammar] = {}
        for g in GRAMMARS.values():
            for nt in g.nonterminals:
                for s in g.syntaxes:
                    for token in g.head_tokens(nt, s):
                        owners.setdefault(token, g)
        words = "|".join(re.escape(t) for t in sorted(owners, key=len, reverse=True))
        pattern = re.compile(rf"(?<![^\s()])({words})(?![^\s()])")
        cached = _HEADS[len(GRAMMARS)] = (pattern, owners)
    return cached
