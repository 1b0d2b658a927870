"""The CSG2D syntax tree: a small, immutable, fast node type.

A program is a tree of :class:`Node` objects.  Every node belongs to one
nonterminal (``SHAPE``, ``OP``, ``NUM`` or ``ANGLE``) and has a *kind*:

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

# Nonterminals.
SHAPE = "shape"
OP = "op"
NUM = "num"
ANGLE = "angle"

# Kinds (productions).
CIRCLE = "Circle"
QUAD = "Quad"
BINOP = "Binop"
OP_LEAF = "Op"
NUM_LEAF = "Num"
ANGLE_LEAF = "Angle"

NUM_VALUES: tuple[int, ...] = tuple(range(16))
ANGLE_VALUES: tuple[int, ...] = tuple(range(0, 360, 45))
OP_VALUES: tuple[str, ...] = ("+", "-")

NONTERMINAL_OF = {
    CIRCLE: SHAPE,
    QUAD: SHAPE,
    BINOP: SHAPE,
    OP_LEAF: OP,
    NUM_LEAF: NUM,
    ANGLE_LEAF: ANGLE,
}
_LEAF_KINDS = frozenset({OP_LEAF, NUM_LEAF, ANGLE_LEAF})


class Node:
    """One syntax-tree node; immutable by contract (never assign attributes).

    Attributes:
        kind: the production (``CIRCLE``, ``QUAD``, ``BINOP``, ``OP_LEAF``,
            ``NUM_LEAF``, ``ANGLE_LEAF``).
        value: the leaf value (an ``int`` or ``"+"``/``"-"``); ``None`` for
            inner nodes.
        children: the child nodes, in token order.
        sigma: σ, the number of primitives (circles and quads) in the subtree.
        size: the number of tokens the subtree spans.
    """

    __slots__ = ("kind", "value", "children", "sigma", "size", "_hash")

    def __init__(self, kind: str, value=None, children: tuple[Node, ...] = ()):
        self.kind = kind
        self.value = value
        self.children = children
        if kind in _LEAF_KINDS:
            self.sigma = 0
            self.size = 1
            self._hash = hash((kind, value))
            return
        if kind == BINOP:
            self.sigma = children[1].sigma + children[2].sigma
            self.size = 3 + children[1].size + children[2].size
        else:
            self.sigma = 1
            self.size = 3 + len(children)
        # reading the cached child hashes directly is much faster than hash(children)
        self._hash = hash((kind, *[c._hash for c in children]))

    @property
    def nonterminal(self) -> str:
        """The grammar nonterminal this node derives from."""
        return NONTERMINAL_OF[self.kind]

    @property
    def is_leaf(self) -> bool:
        """True for value, angle and operator leaves."""
        return self.kind in _LEAF_KINDS

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
        return self.value == other.value if self.kind in _LEAF_KINDS else True

    def child_offsets(self) -> tuple[int, ...]:
        """Token offset of each child relative to this node's first token."""
        if self.kind == BINOP:
            return (1, 2, 2 + self.children[1].size)
        return tuple(range(2, 2 + len(self.children)))


# Interned leaves: every value node is shared.
_NUMS = tuple(Node(NUM_LEAF, v) for v in NUM_VALUES)
_ANGLES = {a: Node(ANGLE_LEAF, a) for a in ANGLE_VALUES}
_OPS = {o: Node(OP_LEAF, o) for o in OP_VALUES}


FIELDS = {CIRCLE: ("r", "x", "y"), QUAD: ("x", "y", "w", "h", "angle")}
"""The names of a primitive's children, in order (exports, the JSON tree, the editor)."""


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
    """The leaf of ``nonterminal`` (``NUM``, ``ANGLE`` or ``OP``) with ``value``."""
    return {NUM: num, ANGLE: angle, OP: op}[nonterminal](value)


def walk(node: Node, start: int = 0) -> Iterator[tuple[int, Node]]:
    """Yield ``(position, node)`` for every node, in pre-order (token order)."""
    stack = [(start, node)]
    while stack:
        pos, n = stack.pop()
        yield pos, n
        if n.children:
            offs = n.child_offsets()
            for i in range(len(n.children) - 1, -1, -1):
                stack.append((pos + offs[i], n.children[i]))


def node_at(root: Node, pos: int) -> Node:
    """The node whose first token is ``pos``; ``KeyError`` if none starts there.

    A binop and its left operand never share a first token (the operand
    starts after ``(`` and the operator), so positions are unambiguous.
    """
    node, start = root, 0
    while True:
        if start == pos:
            return node
        if not node.children or not start < pos < start + node.size:
            raise KeyError(f"no node starts at token {pos}")
        for off, child in zip(node.child_offsets(), node.children, strict=True):
            cs = start + off
            if cs <= pos < cs + child.size:
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
        for i, (off, child) in enumerate(zip(node.child_offsets(), node.children, strict=True)):
            if start + off <= pos < start + off + child.size:
                out.append((start, node, i))
                node, start = child, start + off
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
    """``(position, node)`` of every circle and quad, in token order."""
    return [(p, n) for p, n in walk(root) if n.kind in (CIRCLE, QUAD)]


# ----- canonical printing: token k of the printed program is node position k ----------

CANONICAL = "canonical"
"""Decimal values and angles in degrees: ``(- (Circle 6 8 8) (Quad 8 8 4 4 45))``."""
COMPACT = "compact"
"""The paper's syntax: hex digits for values, ``G``-``N`` for the angles 0°…315°."""
HEX_DIGITS = "0123456789ABCDEF"
ANGLE_LETTERS = "GHIJKLMN"


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
            return ANGLE_LETTERS[ANGLE_VALUES.index(n.value)]
        return HEX_DIGITS[n.value]
    return str(n.value)


def token_strings(node: Node) -> list[str]:
    """The canonical token sequence; index ``k`` is node position ``k``."""
    return _pieces(node, CANONICAL)
