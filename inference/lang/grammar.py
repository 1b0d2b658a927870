"""Grammars as data: the productions and value domains of a language.

A language's syntax is a :class:`Grammar`: a start nonterminal, the
:class:`Production` of every inner node and the :class:`LeafDomain` of every
value slot.  The tree (:mod:`inference.lang.tree`), the printer and the parser
(:mod:`inference.lang.syntax`) read nothing else about a language, so CSG2D
(:data:`CSG2D`) and TinySVG (:data:`TINYSVG`) share them.

Every program is written the same way: an inner node is ``(`` [keyword]
children ``)``, a leaf is one token.  A production with a keyword (``Circle``,
``Rectangle``) has it as its second token; one without (CSG2D's ``( op A B )``)
is told apart by its first child, a leaf, whose token comes second instead.
A node's *position* is the index of its first token, so a production with a
keyword puts its children at offsets 2, 3, ... and one without at 1, 2, ...

Kind and nonterminal names are unique across all languages: a
:class:`~inference.lang.tree.Node` holds only its kind, and finds its
production, and so its language, through the registry that :func:`register`
fills (:data:`NONTERMINAL_OF`, :data:`LAYOUT`, ...).  Both built-in grammars
are registered when this module is imported.
"""

from __future__ import annotations

from dataclasses import dataclass

CANONICAL = "canonical"
"""The syntax every language has: decimal values, words as they are."""
COMPACT = "compact"
"""CSG2D's second syntax (the paper's): hex digits for values, ``G``-``N`` for the angles."""

HEX_DIGITS = "0123456789ABCDEF"
ANGLE_LETTERS = "GHIJKLMN"


@dataclass(frozen=True, eq=False)
class Spelling:
    """How one syntax writes a leaf domain's values, and what the parser says otherwise.

    Attributes:
        texts: the token of each value, in the order of :attr:`LeafDomain.values`.
        expected: what the parser says it expected, e.g. ``"a number 0..15"``.
        mismatch: the message for any other token; ``{found}`` stands for it.
        out_of_range: the message for a decimal token that is no value (``{value}``
            stands for its number), or ``None`` to use ``mismatch`` for those too.
    """

    texts: tuple[str, ...]
    expected: str
    mismatch: str
    out_of_range: str | None = None


@dataclass(frozen=True, eq=False)
class LeafDomain:
    """A leaf nonterminal: its values, one token each.

    Attributes:
        kind: the kind of its nodes (``"Num"``), unique across languages.
        nonterminal: its nonterminal (``"num"``), unique across languages.
        values: the values, in a fixed order (ints, strings or bools).
        spellings: the :class:`Spelling` of each syntax; ``CANONICAL`` is required
            and stands in for any syntax not listed.
        at_end: what a parser that runs out of input here says it expected.
    """

    kind: str
    nonterminal: str
    values: tuple
    spellings: dict[str, Spelling]
    at_end: str

    def spelling(self, syntax: str = CANONICAL) -> Spelling:
        """The spelling in ``syntax`` (the canonical one where it has none of its own)."""
        return self.spellings.get(syntax) or self.spellings[CANONICAL]


@dataclass(frozen=True, eq=False)
class Production:
    """One inner-node production: ``( keyword child ... )`` or ``( child ... )``.

    Attributes:
        kind: the kind of its nodes (``"Circle"``), unique across languages.
        nonterminal: the nonterminal it derives (``"shape"``).
        keyword: its head token, or ``None`` when the first child's token is the
            head (CSG2D's ``( op A B )``); that child must then be a leaf.
        children: the children's nonterminals, in token order.
        primitive: whether σ counts it (σ is the number of primitives in a subtree).
        fields: a name for each child (exports, the program JSON, the editor).
    """

    kind: str
    nonterminal: str
    keyword: str | None
    children: tuple[str, ...]
    primitive: bool = False
    fields: tuple[str, ...] = ()


class Grammar:
    """A language's syntax: start nonterminal, productions and leaf domains.

    Attributes:
        name: the language's name (``"CSG2D"``).
        start: the nonterminal of a whole program.
        productions: every inner production, in a fixed order (for a nonterminal,
            the parser lists the heads it expects in this order).
        leaves: every leaf domain.
        syntaxes: the syntaxes its text can be written in, ``CANONICAL`` first.
        small_subtree_kinds: the kinds the small-subtree mutation rule counts
            when it picks a node (DESIGN.md §2, "Noise"): CSG2D's primitives, and
            for TinySVG ``Rectangle``, ``Ellipse`` and ``Move``.
        nonterminals: every nonterminal, the start first.
        primitive_kinds: the kinds σ counts.
    """

    def __init__(
        self,
        name: str,
        start: str,
        productions: tuple[Production, ...],
        leaves: tuple[LeafDomain, ...],
        syntaxes: tuple[str, ...] = (CANONICAL,),
        small_subtree_kinds: frozenset[str] | None = None,
    ):
        self.name = name
        self.start = start
        self.productions = tuple(productions)
        self.leaves = tuple(leaves)
        self.syntaxes = tuple(syntaxes)
        self.primitive_kinds = frozenset(p.kind for p in self.productions if p.primitive)
        self.small_subtree_kinds = frozenset(
            self.primitive_kinds if small_subtree_kinds is None else small_subtree_kinds
        )
        self._by_kind: dict[str, Production | LeafDomain] = {}
        for item in (*self.productions, *self.leaves):
            if item.kind in self._by_kind:
                raise ValueError(f"{name}: kind {item.kind!r} defined twice")
            self._by_kind[item.kind] = item
        self._domains = {d.nonterminal: d for d in self.leaves}
        if len(self._domains) != len(self.leaves):
            raise ValueError(f"{name}: a leaf nonterminal has two domains")
        self._of: dict[str, tuple[Production, ...]] = {}
        for p in self.productions:
            self._of[p.nonterminal] = (*self._of.get(p.nonterminal, ()), p)
        inner = [nt for nt in self._of if nt != start]
        self.nonterminals: tuple[str, ...] = (start, *inner, *self._domains)
        self._check()

    def _check(self) -> None:
        if self.start not in self._of:
            raise ValueError(f"{self.name}: no production for the start {self.start!r}")
        if set(self._of) & set(self._domains):
            raise ValueError(f"{self.name}: a nonterminal is both a leaf and an inner node")
        if CANONICAL not in self.syntaxes or any(CANONICAL not in d.spellings for d in self.leaves):
            raise ValueError(f"{self.name}: the canonical syntax is required")
        for d in self.leaves:
            for s in d.spellings.values():
                if len(s.texts) != len(d.values) or len(set(s.texts)) != len(s.texts):
                    raise ValueError(f"{self.name}: {d.kind} needs one distinct token a value")
        if not self.small_subtree_kinds <= set(self._by_kind):
            raise ValueError(f"{self.name}: unknown small-subtree kinds")
        for p in self.productions:
            unknown = [nt for nt in p.children if nt not in self._of and nt not in self._domains]
            if unknown:
                raise ValueError(f"{self.name}: {p.kind} has unknown children {unknown}")
            if p.keyword is None and not (p.children and p.children[0] in self._domains):
                raise ValueError(f"{self.name}: {p.kind} has no keyword and no leaf to lead")
            if p.fields and len(p.fields) != len(p.children):
                raise ValueError(f"{self.name}: {p.kind} needs one field name a child")
        for nt in self._of:
            for s in self.syntaxes:
                heads = self.head_tokens(nt, s)
                if len(set(heads)) != len(heads):
                    raise ValueError(f"{self.name}: two productions of {nt!r} share a head token")

    def __repr__(self) -> str:
        return f"<Grammar {self.name}>"

    @property
    def kinds(self) -> tuple[str, ...]:
        """Every kind, productions first, then leaves."""
        return tuple(self._by_kind)

    def definition(self, kind: str) -> Production | LeafDomain:
        """The production or leaf domain of ``kind``; ``KeyError`` when not this language's."""
        return self._by_kind[kind]

    def production(self, kind: str) -> Production:
        """The production of the inner kind ``kind``."""
        p = self._by_kind[kind]
        if not isinstance(p, Production):
            raise KeyError(f"{kind!r} is a leaf kind")
        return p

    def productions_of(self, nonterminal: str) -> tuple[Production, ...]:
        """The productions of an inner nonterminal, in order (``()`` for a leaf one)."""
        return self._of.get(nonterminal, ())

    def domain(self, nonterminal: str) -> LeafDomain:
        """The leaf domain of a leaf nonterminal; ``KeyError`` for an inner one."""
        return self._domains[nonterminal]

    def is_leaf(self, nonterminal: str) -> bool:
        """True when ``nonterminal`` is a leaf (value) nonterminal of this grammar."""
        return nonterminal in self._domains

    def head_tokens(self, nonterminal: str, syntax: str = CANONICAL) -> list[str]:
        """The tokens that can follow ``(`` for ``nonterminal``, in production order."""
        out: list[str] = []
        for p in self._of.get(nonterminal, ()):
            if p.keyword is not None:
                out.append(p.keyword)
            else:
                out += self._domains[p.children[0]].spelling(syntax).texts
        return out

    def keywords(self) -> frozenset[str]:
        """Every production keyword."""
        return frozenset(p.keyword for p in self.productions if p.keyword is not None)


# ----- the registry: what a Node reads about its kind ------------------------------------

GRAMMARS: dict[str, Grammar] = {}
"""Every registered grammar, by name."""
GRAMMAR_OF: dict[str, Grammar] = {}
"""The grammar of each registered kind."""
NONTERMINAL_OF: dict[str, str] = {}
"""The nonterminal of each registered kind."""
LEAF_KINDS: set[str] = set()
"""The registered leaf kinds."""
PRIMITIVE_KINDS: set[str] = set()
"""The registered kinds σ counts."""
KEYWORD_OF: dict[str, str | None] = {}
"""The keyword of each registered inner kind (``None``: its first child leads)."""
LAYOUT: dict[str, tuple[int, int, tuple[int, ...]] | None] = {}
"""How a node of each kind measures itself; ``None`` for a leaf kind.

For an inner kind: ``(base size, base σ, inner child indices)``.  The base size
counts the parentheses, the keyword and the leaf children (one token each), the
base σ is 1 for a primitive; a node adds its inner children's sizes and σs.
"""
FIRST_OFFSET: dict[str, int] = {}
"""The offset of an inner kind's first child from the node's first token: 2 after a
keyword, 1 without.  The children follow one another from there, up to the ``)``."""
LEAF_TEXTS: dict[str, dict[str, dict]] = {}
"""``LEAF_TEXTS[syntax][kind][value]``: how a leaf is printed (every syntax any grammar
has; a domain without a spelling of its own there prints canonically)."""


def register(grammar: Grammar) -> Grammar:
    """Make ``grammar``'s kinds known to :class:`~inference.lang.tree.Node`; returns it.

    Registering the same grammar again does nothing.  Raises ``ValueError`` when
    a name, kind or nonterminal is taken by another grammar.
    """
    if GRAMMARS.get(grammar.name) is grammar:
        return grammar
    if grammar.name in GRAMMARS:
        raise ValueError(f"a grammar named {grammar.name!r} is registered already")
    taken_nts = {NONTERMINAL_OF[k] for k in GRAMMAR_OF}
    for kind in grammar.kinds:
        if kind in GRAMMAR_OF:
            raise ValueError(f"kind {kind!r} belongs to {GRAMMAR_OF[kind].name} already")
    for nt in grammar.nonterminals:
        if nt in taken_nts:
            raise ValueError(f"nonterminal {nt!r} belongs to another grammar already")
    GRAMMARS[grammar.name] = grammar
    for d in grammar.leaves:
        GRAMMAR_OF[d.kind] = grammar
        NONTERMINAL_OF[d.kind] = d.nonterminal
        LEAF_KINDS.add(d.kind)
        LAYOUT[d.kind] = None
    for p in grammar.productions:
        GRAMMAR_OF[p.kind] = grammar
        NONTERMINAL_OF[p.kind] = p.nonterminal
        KEYWORD_OF[p.kind] = p.keyword
        if p.primitive:
            PRIMITIVE_KINDS.add(p.kind)
        inner = tuple(i for i, nt in enumerate(p.children) if not grammar.is_leaf(nt))
        head = 2 if p.keyword is not None else 1
        LAYOUT[p.kind] = (head + 1 + len(p.children) - len(inner), int(p.primitive), inner)
        FIRST_OFFSET[p.kind] = head
    _fill_leaf_texts()
    return grammar


def _fill_leaf_texts() -> None:
    syntaxes = {s for g in GRAMMARS.values() for s in g.syntaxes}
    for syntax in syntaxes:
        table = LEAF_TEXTS.setdefault(syntax, {})
        for g in GRAMMARS.values():
            for d in g.leaves:
                table[d.kind] = dict(zip(d.values, d.spelling(syntax).texts, strict=True))


def grammar_named(name: str) -> Grammar:
    """The registered grammar called ``name`` (case-insensitive), e.g. ``"tinysvg"``."""
    for g in GRAMMARS.values():
        if g.name.lower() == name.lower():
            return g
    raise KeyError(f"no language {name!r}; known: {', '.join(GRAMMARS)}")


def join_choices(items: list[str]) -> str:
    """``'a', 'b' or 'c'``: quoted items for a message."""
    quoted = [f"'{t}'" for t in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def _numbers(kind: str, nonterminal: str, top: int, **other: Spelling) -> LeafDomain:
    """The numbers ``0..top``, written in decimal (and in the ``other`` syntaxes as given)."""
    expected = f"a number 0..{top}"
    return LeafDomain(
        kind,
        nonterminal,
        tuple(range(top + 1)),
        {
            CANONICAL: Spelling(
                tuple(str(v) for v in range(top + 1)),
                expected,
                f"expected {expected}, found '{{found}}'",
                f"number {{value}} out of range 0..{top}",
            ),
            **other,
        },
        expected,
    )


def _words(kind: str, nonterminal: str, values: tuple, texts: tuple[str, ...], what: str):
    """A domain of words, e.g. the colours; ``what`` names one (``"a colour"``)."""
    expected = f"{what} ({join_choices(list(texts))})"
    spelling = Spelling(texts, expected, f"expected {expected}, found '{{found}}'")
    return LeafDomain(kind, nonterminal, values, {CANONICAL: spelling}, what)


# ----- CSG2D (DESIGN.md §1) -----------------------------------------------------------------

_CSG_NUM = _numbers(
    "Num",
    "num",
    15,
    **{
        COMPACT: Spelling(
            tuple(HEX_DIGITS), "a hex digit 0-F", "expected a hex digit 0-F, found '{found}'"
        )
    },
)
_ANGLE_VALUES = tuple(range(0, 360, 45))
_ANGLE_EXPECTED = "an angle in 0, 45, ..., 315"
_CSG_ANGLE = LeafDomain(
    "Angle",
    "angle",
    _ANGLE_VALUES,
    {
        CANONICAL: Spelling(
            tuple(str(a) for a in _ANGLE_VALUES),
            _ANGLE_EXPECTED,
            "angle '{found}' is not one of 0, 45, ..., 315",
        ),
        COMPACT: Spelling(
            tuple(ANGLE_LETTERS),
            "an angle letter G-N",
            "expected an angle letter G-N, found '{found}'",
        ),
    },
    "an angle",
)
_CSG_OP = _words("Op", "op", ("+", "-"), ("+", "-"), "an operator")

CSG2D = register(
    Grammar(
        "CSG2D",
        "shape",
        (
            Production(
                "Circle", "shape", "Circle", ("num", "num", "num"),
                primitive=True, fields=("r", "x", "y"),
            ),
            Production(
                "Quad", "shape", "Quad", ("num", "num", "num", "num", "angle"),
                primitive=True, fields=("x", "y", "w", "h", "angle"),
            ),
            Production(
                "Binop", "shape", None, ("op", "shape", "shape"),
                fields=("op", "left", "right"),
            ),
        ),
        (_CSG_NUM, _CSG_ANGLE, _CSG_OP),
        syntaxes=(CANONICAL, COMPACT),
    )
)  # fmt: skip
"""CSG2D: ``shape := (Circle r x y) | (Quad x y w h angle) | (op shape shape)``."""


# ----- TinySVG (issue 17) --------------------------------------------------------------------

SVG_COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "black", "white", "none")
"""TinySVG's colours, in a fixed order (``none``: no fill or no stroke)."""

_SVG_ITEM = ("digit", "digit", "colour", "colour", "digit")
_SVG_ITEM_FIELDS = ("w", "h", "fill", "stroke", "sw")

TINYSVG = register(
    Grammar(
        "TinySVG",
        "drawing",
        (
            Production(
                "Rectangle", "drawing", "Rectangle", _SVG_ITEM,
                primitive=True, fields=_SVG_ITEM_FIELDS,
            ),
            Production(
                "Ellipse", "drawing", "Ellipse", _SVG_ITEM,
                primitive=True, fields=_SVG_ITEM_FIELDS,
            ),
            Production(
                "Arrange", "drawing", "Arrange", ("dir", "drawing", "drawing", "digit"),
                fields=("dir", "first", "second", "gap"),
            ),
            Production(
                "Move", "drawing", "Move", ("drawing", "digit", "digit", "flag", "flag"),
                fields=("child", "x", "y", "negx", "negy"),
            ),
        ),
        (
            _numbers("Digit", "digit", 9),
            _words("Colour", "colour", SVG_COLOURS, SVG_COLOURS, "a colour"),
            _words("Dir", "dir", ("h", "v"), ("h", "v"), "a direction"),
            _words("Flag", "flag", (False, True), ("false", "true"), "a flag"),
        ),
        small_subtree_kinds=frozenset({"Rectangle", "Ellipse", "Move"}),
    )
)  # fmt: skip
"""TinySVG: ``drawing := (Rectangle w h fill stroke sw) | (Ellipse w h fill stroke sw)
| (Arrange dir drawing drawing gap) | (Move drawing x y negx negy)``, numbers 0..9,
``dir`` ``h``/``v``, ``negx``/``negy`` ``true``/``false``, colours :data:`SVG_COLOURS`."""
