"""History texts name shapes and fields, as the tree panel does, never token positions."""

import pytest

from editor import commands, docfile
from editor.document import Document
from inference.lang.edits import Edit
from inference.lang.syntax import parse
from inference.lang.tree import circle

PROGRAM = "(- (Quad 8 8 4 4 45) (Circle 2 8 8))"  # the Quad at 2, the Circle (hole) at 10


@pytest.fixture
def doc():
    d = Document()
    d.load(docfile.DocumentData(parse(PROGRAM)), None)
    return d


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (lambda d: commands.set_value(d, 12, 3), "Circle (hole) r: 2 → 3"),
        (lambda d: commands.set_value(d, 4, 9), "Quad x: 8 → 9"),
        (lambda d: commands.set_value(d, 8, 90), "Quad angle: 45° → 90°"),
        (lambda d: commands.set_value(d, 1, "+"), "Difference op: − → +"),
        (lambda d: commands.lock(d, 10), "Lock Circle (hole)"),
        (lambda d: commands.lock(d, 13, False), "Unlock Circle (hole) x"),
        (lambda d: commands.replace(d, 2, "circle"), "Replace Quad with Circle"),
        (lambda d: commands.wrap(d, 2, "+"), "Wrap Quad in + (add a circle)"),
        (lambda d: commands.wrap(d, 10, "-"), "Wrap Circle (hole) in − (cut a circle)"),
        (lambda d: commands.delete(d, 10), "Delete Circle (hole)"),
        (lambda d: commands.duplicate(d, 2), "Duplicate Quad"),
        (lambda d: commands.EditCommand(d, Edit(2, circle(3, 4, 5))), "Replace Quad with Circle"),
        (
            lambda d: commands.EditCommand(d, Edit(10, circle(3, 8, 5))),
            "Circle (hole) r: 2 → 3, y: 8 → 5",
        ),
        (
            lambda d: commands.EditCommand(
                d, Edit(2, parse("(+ (Quad 8 8 4 4 45) (Circle 1 2 3))"))
            ),
            "Replace Quad with Union (Quad + Circle)",
        ),
    ],
)
def test_command_texts_name_the_shape_and_the_field(doc, make, text):
    cmd = make(doc)
    assert cmd.text() == text
    doc.push(cmd)
    assert doc.undo_stack.text(0) == text


def test_a_shape_in_a_union_is_no_hole_and_the_root_has_no_role():
    program = parse("(+ (Circle 6 8 8) (- (Quad 8 8 4 4 0) (Circle 2 8 8)))")
    names = [commands.node_name(program, pos) for pos in (0, 2, 8, 10, 18)]
    assert names == ["Union", "Circle", "Difference", "Quad", "Circle (hole)"]
