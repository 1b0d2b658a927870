"""The one tree-edit value: replace the node at a token position by a new subtree.

An :class:`Edit` is what the search proposes, what the user accepts, what undo
reverts and what a training example labels (DESIGN.md §3, "One edit type").
It holds only a position and a replacement; applying it never mutates a tree
(nodes are immutable), it returns a new one.

Positions are token indices (see :mod:`inference.lang.tree`): the replaced node
starts at ``pos`` in the edited tree too, so the inverse of an edit is simply
``Edit(pos, old_node)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from inference.lang.syntax import to_text
from inference.lang.tree import Node, node_at, replace_at


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace the node whose first token is ``pos`` by ``replacement``.

    Attributes:
        pos: token index of the first token of the node to replace.
        replacement: the new subtree; it must derive from the same nonterminal
            as the node it replaces.
    """

    pos: int
    replacement: Node

    def old_node(self, tree: Node) -> Node:
        """The node of ``tree`` this edit replaces.

        Raises:
            ValueError: when no node of ``tree`` starts at ``pos``.
        """
        try:
            return node_at(tree, self.pos)
        except KeyError:
            raise ValueError(self._bad_pos_message(tree)) from None

    def validate(self, tree: Node) -> None:
        """Check that this edit applies to ``tree``.

        Raises:
            ValueError: when ``pos`` is not the first token of a node of
                ``tree``, or when the replacement is of another nonterminal.
        """
        old = self.old_node(tree)
        if old.nonterminal != self.replacement.nonterminal:
            raise ValueError(
                f"edit {self}: a {self.replacement.nonterminal} cannot replace the "
                f"{old.nonterminal} at token {self.pos}"
            )

    def apply(self, tree: Node) -> Node:
        """Return ``tree`` with the edit applied.

        Raises:
            ValueError: as :meth:`validate`.
        """
        try:
            return replace_at(tree, self.pos, self.replacement)
        except KeyError:
            raise ValueError(self._bad_pos_message(tree)) from None
        except ValueError:
            self.validate(tree)  # raises with the full message
            raise

    def apply_with_inverse(self, tree: Node) -> tuple[Node, Edit]:
        """Apply the edit; also return the edit that turns the result back into ``tree``."""
        old = self.old_node(tree)
        return self.apply(tree), Edit(self.pos, old)

    def __str__(self) -> str:
        return f"@{self.pos} -> {to_text(self.replacement)}"

    def _bad_pos_message(self, tree: Node) -> str:
        return (
            f"edit {self}: no node starts at token {self.pos} (the program has {tree.size} tokens)"
        )
