"""The syntax tree: a small, immutable, fast node type, for every language.

A program is a tree of :class:`Node` objects.  Every node has a *kind*, the
name of its production or leaf domain in a :class:`~inference.lang.grammar.Grammar`,
and belongs to that production's nonterminal.  Kinds are unique across
languages, so a node finds everything about itself through the registry of
:mod:`inference.lang.grammar`, keyed by its kind; it carries no grammar.

CSG2D's kinds (:data:`~inference.lang.grammar.CSG2D`):

=========  ===========  =====================================  ==========
kind       nonterminal  children                               tokens
=========  ===========  =====================================  ==========
``CIRCLE`` ``SHAPE``    ``NUM r, NUM x, NUM y``                ``( Circle r x y )``
``QUAD``   ``SHAPE``    ``NUM x, NUM y, NUM w, NUM h, ANGLE``  ``( Quad x y w h a )``
``BINOP``  ``SHAPE``    ``OP, SHAPE, SHAPE``                   ``( op A B )``
``OP``     ``OP``       none; value ``"+"`` or ``"-"``         ``op``
``NUM``    ``NUM``      none; value ``0..15``                  ``v``
``ANGLE``  ``ANGLE``    none; value ``0, 45, ..., 315``        ``a``
=========  ===========  =====================================  ==========

TinySVG's are in :mod:`inference.lang.tinysvg`.

Nodes are addressed by the index of their first token in the program's token
sequence (the *position*, the ``k`` of ``<POS k>``).  Positions are stable: a
replacement at position ``k`` yields a new tree whose replaced node again
starts at ``k``.  Structurally equal nodes compare and hash equal.

The canonical printer (:func:`to_text`, :func:`token_strings`) lives here too,
because the printed tokens *are* the positions: token ``k`` of a program is the
node at position ``k``.  :mod:`inference.lang.syntax` parses and re-exports it.
"""

from __future__ import annotations

from collections.abc import Iterator

from inference.lang.grammar import (
    ANGLE_LETTERS,
    CANONICAL,
    COMPACT,
    CSG2D,
    FIRST_OFFSET,
    GRAMMAR_OF,
    GRAMMARS,
    HEX_DIGITS,
    KEYWORD_OF,
    LAYOUT,
    LEAF_KINDS,
    LEAF_TEXTS,
    NONTERMINAL_OF,
    PRIMITIVE_KINDS,
    LeafDomain,
)

__all__ = [
    "ANGLE", "ANGLE_LEAF", "ANGLE_LETTERS", "ANGLE_VALUES", "BINOP", "CANONICAL", "CIRCLE",
    "COMPACT", "FIELDS", "HEX_DIGITS", "NONTERMINAL_OF", "NUM", "NUM_LEAF", "NUM_VALUES", "OP",
    "OP_LEAF", "OP_VALUES", "QUAD", "SHAPE", "Node", "ancestors", "angle", "binop", "circle",
    "interned", "leaf", "make", "node_at", "num", "op", "parent_of", "positions", "primitives",
    "quad", "replace_at", "to_text", "token_strings", "values", "walk",
]  # fmt: skip

# CSG2D's nonterminals.
SHAPE = "shape"
OP = "op"
NUM = "num"
ANGLE = "angle"

# CSG2D's kinds (productions).
CIRCLE = "Circle"
QUAD = "Quad"
BINOP = "Binop"
OP_LEAF = "Op"
NUM_LEAF = "Num"
ANGLE_LEAF = "Angle"

NUM_VALUES: tuple[int, ...] = CSG2D.domain(NUM).values
ANGLE_VALUES: tuple[int, ...] = CSG2D.domain(ANGLE).values
OP_VALUES: tuple[str, ...] = CSG2D.domain(OP).values


class Node:
    """One syntax-tree node; immutable by contract (never assign attributes).

    Attributes:
        kind: the production or leaf domain (for CSG2D ``CIRCLE``, ``QUAD``,
            ``BINOP``, ``OP_LEAF``, ``NUM_LEAF``, ``ANGLE_LEAF``); it must be
            registered (:func:`inference.lang.grammar.register`).
        value: the leaf value (an ``int``, a ``str`` such as ``"+"``, or a
            ``bool``); ``None`` for inner nodes.
        children: the child nodes, in token order.
        sigma: σ, the number of primitives (CSG2D's circles and quads) in the subtree.
        size: the number of tokens the subtree spans.
    """

    __slots__ = ("kind", "value", "children", "sigma", "size", "_hash")

    def __init__(self, kind: str, value=None, children: tuple[Node, ...] = ()):
        self.kind = kind
        self.value = value
        self.children = children
        try:
            layout = _MEASURES[kind]
        except KeyError:
            layout = _measures(kind)
        if layout is None:
            self.sigma = 0
            self.size = 1
            self._hash = hash((kind, value))
            return
        size, sigma, i, j = layout
        if j is not None:  # two inner children: CSG2D's binop, TinySVG's Arrange
            a = children[i]
            b = children[j]
            self.size = size + a.size + b.size
            self.sigma = sigma + a.sigma + b.sigma
        elif i is None:  # none: the primitives
            self.size = size
            self.sigma = sigma
        elif i.__class__ is int:  # one: TinySVG's Move
            a = children[i]
            self.size = size + a.size
            self.sigma = sigma + a.sigma
        else:  # more: i holds their indices
            for k in i:
                a = children[k]
                size += a.size
                sigma += a.sigma
            self.size = size
            self.sigma = sigma
        # reading the cached child hashes directly is much faster than hash(children)
        self._hash = hash((kind, *[c._hash for c in children]))

    @property
    def nonterminal(self) -> str:
        """The grammar nonterminal this node derives from."""
        return NONTERMINAL_OF[self.kind]

    @property
    def is_leaf(self) -> bool:
        """True for value leaves (CSG2D's numbers, angles and operators)."""
        return self.kind in LEAF_KINDS

    @property
    def grammar(self):
        """The :class:`~inference.lang.grammar.Grammar` of this node's kind."""
        return GRAMMAR_OF[self.kind]

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node) or self._hash != other._hash:
            return False
        return (
            self.kind == other.kind
            and self.value == other.value
            and self.children == other.children
        )

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):
        return (Node, (self.kind, self.value, self.children))

    def __repr__(self) -> str:
        return f"Node({to_text(self)!r})"

    def same_production(self, other: Node) -> bool:
        """True when both nodes use the same grammar production.

        Inner nodes match on kind; leaves must also carry the same value.
        """
        if self.kind != other.kind:
            return False
        return self.value == other.value if self.kind in LEAF_KINDS else True

    def child_offsets(self) -> tuple[int, ...]:
        """Token offset of each child relative to this node's first token."""
        if not self.children:
            return ()
        off = _OFFSETS[self.kind]
        if off.__class__ is tuple:  # only leaf children: always the same
            return off
        out = []
        for child in self.children:
            out.append(off)
            off += child.size
        return tuple(out)


# Node's own, unrolled copy of the registry's LAYOUT, filled as kinds are first met
# (so a grammar registered later works too): None for a leaf kind, else (base size,
# base σ, i, j), where i and j are the indices of the inner children when there are two,
# i is the index of the only one and j None, both None when there are none, and i is
# the tuple of their indices and j None when there are more than two.
_MEASURES: dict[str, tuple | None] = {}
# The child offsets of an inner kind: the tuple itself when all children are leaves,
# else the first child's offset.
_OFFSETS: dict[str, tuple[int, ...] | int] = {}


def _measures(kind: str) -> tuple | None:
    try:
        layout = LAYOUT[kind]
    except KeyError:
        raise ValueError(f"unknown node kind {kind!r}") from None
    if layout is None:
        _MEASURES[kind] = None
        return None
    size, sigma, inner = layout
    first = FIRST_OFFSET[kind]
    if not inner:
        width = size - first - 1  # the leaf children, one token each
        _OFFSETS[kind] = tuple(range(first, first + width))
    else:
        _OFFSETS[kind] = first
    if len(inner) <= 2:
        measures = (size, sigma, *inner, *(None,) * (2 - len(inner)))
    else:
        measures = (size, sigma, inner, None)
    _MEASURES[kind] = measures
    return measures


# Interned leaves: every value node is shared.
_INTERNED: dict[str, dict] = {}


def interned(kind: str) -> dict:
    """``{value: leaf}`` for the leaf kind ``kind``: the shared leaf of every value."""
    table = _INTERNED.get(kind)
    if table is None:
        domain = GRAMMAR_OF[kind].definition(kind)
        if not isinstance(domain, LeafDomain):
            raise KeyError(f"{kind!r} is not a leaf kind")
        table = _INTERNED[kind] = {v: Node(kind, v) for v in domain.values}
    return table


_NUMS = tuple(interned(NUM_LEAF).values())
_ANGLES = interned(ANGLE_LEAF)
_OPS = interned(OP_LEAF)


FIELDS = {p.kind: p.fields for p in CSG2D.productions if p.primitive}
"""The names of a CSG2D primitive's children, in order (exports, the JSON tree, the editor)."""


def values(node: Node) -> tuple:
    """The values of a primitive's (or any node's) leaf children, in order."""
    return tuple(c.value for c in node.children)


def num(v: int) -> Node:
    """A number leaf, 0..15."""
    if not 0 <= v <= 15:
        raise ValueError(f"number {v} out of range 0..15")
    return _NUMS[v]


def angle(a: int) -> Node:
    """An angle leaf, one of 0, 45, ..., 315 degrees."""
    try:
        return _ANGLES[a]
    except KeyError:
        raise ValueError(f"angle {a} is not one of {ANGLE_VALUES}") from None


def op(o: str) -> Node:
    """An operator leaf, ``"+"`` (union) or ``"-"`` (difference)."""
    try:
        return _OPS[o]
    except KeyError:
        raise ValueError(f"operator {o!r} is not '+' or '-'") from None


def circle(r: int, x: int, y: int) -> Node:
    """``(Circle r x y)``."""
    return Node(CIRCLE, None, (num(r), num(x), num(y)))


def quad(x: int, y: int, w: int, h: int, a: int) -> Node:
    """``(Quad x y w h a)``."""
    return Node(QUAD, None, (num(x), num(y), num(w), num(h), angle(a)))


def binop(o: str, left: Node, right: Node) -> Node:
    """``(o left right)`` with ``o`` in ``"+"``, ``"-"``."""
    if left.nonterminal != SHAPE or right.nonterminal != SHAPE:
        raise ValueError("binop operands must be shapes")
    return Node(BINOP, None, (op(o), left, right))


def leaf(nonterminal: str, value) -> Node:
    """The shared leaf of ``nonterminal`` (``NUM``, ``ANGLE``, ``OP`` or another
    language's leaf nonterminal) with ``value``.

    Raises ``ValueError`` for a value outside the domain, ``KeyError`` for a
    nonterminal that is not a registered leaf one.
    """
    make_csg = _CSG_LEAF.get(nonterminal)
    if make_csg is not None:
        return make_csg(value)
    kind = _leaf_kind(nonterminal)
    node = interned(kind).get(value)
    if node is None or isinstance(value, bool) != isinstance(node.value, bool):
        domain = GRAMMAR_OF[kind].domain(nonterminal)
        raise ValueError(f"{value!r} is not a {nonterminal}: one of {domain.values}")
    return node


_CSG_LEAF = {NUM: num, ANGLE: angle, OP: op}


def _leaf_kind(nonterminal: str) -> str:
    for grammar in GRAMMARS.values():
        if grammar.is_leaf(nonterminal):
            return grammar.domain(nonterminal).kind
    raise KeyError(f"{nonterminal!r} is not a leaf nonterminal")


def make(kind: str, *children: Node) -> Node:
    """The inner node of ``kind`` over ``children``, checked against its production.

    ``make("Rectangle", digit(3), ...)``.  Raises ``ValueError`` when the children
    do not fit the production, ``KeyError`` for an unknown or leaf kind.
    """
    production = GRAMMAR_OF[kind].production(kind)
    got = tuple(c.nonterminal for c in children)
    if got != production.children:
        raise ValueError(f"{kind} takes {production.children}, not {got}")
    return Node(kind, None, children)


def walk(node: Node, start: int = 0) -> Iterator[tuple[int, Node]]:
    """Yield ``(position, node)`` for every node, in pre-order (token order)."""
    stack = [(start, node)]
    while stack:
        pos, n = stack.pop()
        yield pos, n
        kids = n.children
        if kids:
            # the children end right before the node's ")"; push them last one first
            p = pos + n.size - 1
            for child in reversed(kids):
                p -= child.size
                stack.append((p, child))


def node_at(root: Node, pos: int) -> Node:
    """The node whose first token is ``pos``; ``KeyError`` if none starts there.

    A node and its first child never share a first token (the child starts
    after ``(`` and the keyword or the leading leaf), so positions are unambiguous.
    """
    node, start = root, 0
    while True:
        if start == pos:
            return node
        if not node.children or not start < pos < start + node.size:
            raise KeyError(f"no node starts at token {pos}")
        cs = start + node.size - 1  # the children end right before the ")"
        for child in reversed(node.children):
            cs -= child.size
            if cs <= pos:
                if pos >= cs + child.size:
                    raise KeyError(f"no node starts at token {pos}")
                node, start = child, cs
                break
        else:
            raise KeyError(f"no node starts at token {pos}")


def ancestors(root: Node, pos: int) -> list[tuple[int, Node, int]]:
    """``(position, node, child index)`` of every node above ``pos``, root first.

    The child index says which child of that node leads down to ``pos``.
    Raises ``KeyError`` when no node starts at ``pos``.
    """
    out = []
    node, start = root, 0
    while start != pos:
        if not node.children or not start < pos < start + node.size:
            raise KeyError(f"no node starts at token {pos}")
        kids = node.children
        cs = start + node.size - 1  # the children end right before the ")"
        for i in range(len(kids) - 1, -1, -1):
            child = kids[i]
            cs -= child.size
            if cs <= pos:
                if pos >= cs + child.size:
                    raise KeyError(f"no node starts at token {pos}")
                out.append((start, node, i))
                node, start = child, cs
                break
        else:
            raise KeyError(f"no node starts at token {pos}")
    return out


def parent_of(program: Node, pos: int) -> int | None:
    """Position of the node whose child starts at ``pos`` (``None`` for the root)."""
    for p, node in walk(program):
        if node.children and any(p + off == pos for off in node.child_offsets()):
            return p
    return None


def replace_at(root: Node, pos: int, new: Node) -> Node:
    """Return a copy of ``root`` with the node starting at ``pos`` replaced.

    Raises ``KeyError`` when no node starts at ``pos`` and ``ValueError`` when
    ``new`` is not of the slot's nonterminal.
    """
    trail = ancestors(root, pos)
    node = trail[-1][1].children[trail[-1][2]] if trail else root
    if new.nonterminal != node.nonterminal:
        raise ValueError(f"cannot put a {new.nonterminal} where a {node.nonterminal} goes")
    # Rebuild the spine bottom-up.
    for _, parent, i in reversed(trail):
        kids = parent.children
        new = Node(parent.kind, None, kids[:i] + (new,) + kids[i + 1 :])
    return new


def positions(root: Node) -> list[int]:
    """Positions of all nodes, in token order."""
    return [p for p, _ in walk(root)]


def primitives(root: Node) -> list[tuple[int, Node]]:
    """``(position, node)`` of every primitive (CSG2D's circles and quads), in token order."""
    return [(p, n) for p, n in walk(root) if n.kind in PRIMITIVE_KINDS]


# ----- canonical printing: token k of the printed program is node position k ----------
# CANONICAL: decimal values and angles in degrees: ``(- (Circle 6 8 8) (Quad 8 8 4 4 45))``.
# COMPACT: CSG2D's paper syntax, hex digits for values, ``G``-``N`` for the angles 0°…315°.


def to_text(node: Node, syntax: str = CANONICAL) -> str:
    """Print a subtree in canonical (default) or compact syntax.

    Any language prints in its canonical syntax, e.g.
    ``(Arrange h (Rectangle 3 4 red none 0) (Ellipse 2 2 blue black 2) 1)``.
    """
    return " ".join(_pieces(node, syntax)).replace("( ", "(").replace(" )", ")")


def _pieces(node: Node, syntax: str) -> list[str]:
    texts = LEAF_TEXTS.get(syntax) or LEAF_TEXTS[CANONICAL]
    keywords = KEYWORD_OF
    out: list[str] = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.__class__ is str:
            out.append(n)
        elif n.kind in keywords:  # an inner node (it may have no children)
            keyword = keywords[n.kind]
            if keyword is None:
                out.append("(")
            else:
                out += ["(", keyword]
            stack.append(")")
            stack += reversed(n.children)
        else:
            try:
                out.append(texts[n.kind][n.value])
            except KeyError:  # a value outside its domain, built by hand
                out.append(str(n.value))
    return out


def token_strings(node: Node) -> list[str]:
    """The canonical token sequence; index ``k`` is node position ``k``."""
    return _pieces(node, CANONICAL)
