"""The program as a versioned JSON document: ``.json`` export, and read back.

``{"format": "treesketch-csg2d", "version": 1, "program": "<canonical text>",
"tree": {...}}``; the ``tree`` is nested plain objects with the language's own
values (:func:`tree_dict`).  A TinySVG program is ``{"format": "treesketch-tinysvg",
...}`` the same way.  :func:`from_json` reads what :func:`to_json` writes, in either
language (the format names it), within bounded time and memory
(:func:`inference.util.bounded_json.parse_json`).
"""

from __future__ import annotations

import json

from inference.lang.grammar import CSG2D, TINYSVG, Grammar
from inference.lang.syntax import MAX_DEPTH, parse, to_text
from inference.lang.tree import CIRCLE, FIELDS, QUAD, Node, binop, circle, leaf, make, quad, values
from inference.util.bounded_json import parse_json

JSON_FORMAT = "treesketch-csg2d"
"""The ``format`` of a CSG2D program."""
JSON_FORMATS: dict[str, Grammar] = {JSON_FORMAT: CSG2D, "treesketch-tinysvg": TINYSVG}
"""Every ``format`` and its language."""
JSON_VERSION = 1


def tree_dict(node: Node) -> dict:
    """The program as nested plain dicts, with the language's values (0..15, degrees).

    ``{"type": "circle", "r", "x", "y"}``, ``{"type": "quad", "x", "y", "w",
    "h", "angle"}`` and ``{"type": "union" | "difference", "left", "right"}``.
    Another language's node is ``{"type": <kind in lower case>, <field>: ...}`` with
    its production's field names, a nested object for an inner child and the value
    (a number, a word, ``true``/``false``) for a leaf: ``{"type": "move", "child":
    {...}, "x": 2, "y": 0, "negx": false, "negy": false}``.
    """
    if node.grammar is not CSG2D:
        production = node.grammar.production(node.kind)
        fields = {
            name: child.value if child.is_leaf else tree_dict(child)
            for name, child in zip(production.fields, node.children, strict=True)
        }
        return {"type": node.kind.lower(), **fields}
    if node.kind in FIELDS:
        kind = "circle" if node.kind == CIRCLE else "quad"
        return {"type": kind, **dict(zip(FIELDS[node.kind], values(node), strict=True))}
    operator, left, right = node.children
    kind = "union" if operator.value == "+" else "difference"
    return {"type": kind, "left": tree_dict(left), "right": tree_dict(right)}


def to_json(node: Node) -> str:
    """The versioned JSON document (see the module docstring), indented, newline-terminated."""
    formats = {g: name for name, g in JSON_FORMATS.items()}
    doc = {
        "format": formats[node.grammar],
        "version": JSON_VERSION,
        "program": to_text(node),
        "tree": tree_dict(node),
    }
    return json.dumps(doc, indent=2) + "\n"


def from_json(text: str) -> Node:
    """Read a document written by :func:`to_json`.

    The ``tree`` is authoritative; when ``program`` is present too it must
    describe the same program.  A document with only ``program`` is accepted.

    Raises:
        ValueError: one line saying what is wrong (not JSON, wrong format,
            unsupported version, bad tree).
    """
    doc = parse_json(text)  # bounded: depth, digits and values, in its own words
    fmt = doc.get("format") if isinstance(doc, dict) else None
    if not isinstance(fmt, str) or fmt not in JSON_FORMATS:
        raise ValueError(f'not a TreeSketch program (expected "format": "{JSON_FORMAT}")')
    grammar = JSON_FORMATS[fmt]
    version = doc.get("version")
    if type(version) is not int:
        raise ValueError('missing or non-integer "version"')
    if version != JSON_VERSION:
        raise ValueError(f"unsupported version {version} (this TreeSketch reads {JSON_VERSION})")
    program = doc.get("program")
    if "tree" not in doc and program is None:  # a null program is no program
        raise ValueError('no "tree" or "program" in the document')
    if program is not None and not isinstance(program, str):
        raise ValueError('"program" must be a string')
    try:
        from_program = parse(program, grammar=grammar) if program is not None else None
    except ValueError as e:
        raise ValueError(f'"program": {e}') from None
    if "tree" not in doc:
        return from_program
    if grammar is CSG2D:
        node = _node_from_dict(doc["tree"], "tree", 0)
    else:
        node = _generic_from_dict(grammar, grammar.start, doc["tree"], "tree", 0)
    if from_program is not None and from_program != node:
        raise ValueError('"program" and "tree" describe different programs')
    return node


_FIELDS = {"circle": FIELDS[CIRCLE], "quad": FIELDS[QUAD]}


def _node_from_dict(d: object, where: str, depth: int) -> Node:
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected an object")
    kind = d.get("type")
    if kind in ("union", "difference"):
        left = _node_from_dict(d.get("left"), f"{where}.left", depth + 1)
        right = _node_from_dict(d.get("right"), f"{where}.right", depth + 1)
        return binop("+" if kind == "union" else "-", left, right)
    if kind not in _FIELDS:
        raise ValueError(f"{where}: unknown type {kind!r} (circle, quad, union, difference)")
    values = []
    for key in _FIELDS[kind]:
        v = d.get(key)
        if type(v) is not int:
            raise ValueError(f"{where}.{key}: expected an integer")
        values.append(v)
    try:
        return circle(*values) if kind == "circle" else quad(*values)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _generic_from_dict(grammar: Grammar, nonterminal: str, d: object, where: str, depth: int):
    """A node of ``nonterminal`` from :func:`tree_dict`'s form for a language other than
    CSG2D; ``ValueError`` naming the place for anything else."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    if not isinstance(d, dict):
        raise ValueError(f"{where}: expected an object")
    by_type = {p.kind.lower(): p for p in grammar.productions_of(nonterminal)}
    kind = d.get("type")
    production = by_type.get(kind) if isinstance(kind, str) else None
    if production is None:
        raise ValueError(f"{where}: unknown type {kind!r} ({', '.join(by_type)})")
    children = []
    for name, child_nt in zip(production.fields, production.children, strict=True):
        value = d.get(name)
        if not grammar.is_leaf(child_nt):
            children.append(
                _generic_from_dict(grammar, child_nt, value, f"{where}.{name}", depth + 1)
            )
            continue
        domain = grammar.domain(child_nt)
        if value not in domain.values or type(value) is not type(domain.values[0]):
            raise ValueError(f"{where}.{name}: expected {domain.spelling().expected}")
        children.append(leaf(child_nt, value))
    return make(production.kind, *children)
