"""Help ▸ Quick Guide: what to do first, and every keyboard shortcut.

The shortcut list is read from the window's real ``QAction`` objects when the
guide opens (:func:`shortcut_sections`), so it names the keys the window
actually has, on this platform, after any change to them.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMainWindow, QTextBrowser, QVBoxLayout

from editor.files import EXPORT_FORMATS

OTHER_SECTIONS = {"SketchPad": "Sketch pad", "ProgramText": "Program text"}
"""Section titles for actions outside the menus, by the class of the widget that owns them."""


def key_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them ("Ctrl+S"), joined by " or "."""
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(k.toString(native) for k in action.shortcuts() if not k.isEmpty())


def action_label(action: QAction) -> str:
    """A short name for ``action``: its menu text without "&" or a trailing "…"."""
    text = action.iconText() or action.text()
    return text.replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("…").strip()


def shortcut_sections(window: QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    """``[(section, [(action, keys), ...]), ...]`` for every action of ``window`` with a
    shortcut: one section per menu (submenus included), then the actions that are in no
    menu (the sketch pad's tools...), by the widget that owns them.  Hidden actions (those
    of the other language) are left out: their keys are off."""
    seen: set[int] = set()
    sections: list[tuple[str, list[tuple[str, str]]]] = []

    def rows_of(menu) -> list[tuple[str, str]]:
        rows = []
        for action in menu.actions():
            if action.menu() is not None:
                rows.extend(rows_of(action.menu()))
            elif not action.isVisible():
                seen.add(id(action))
            elif key_text(action) and id(action) not in seen:
                seen.add(id(action))
                rows.append((action_label(action), key_text(action)))
        return rows

    for top in window.menuBar().actions():
        if top.menu() is not None and (rows := rows_of(top.menu())):
            sections.append((action_label(top), rows))
    extra: dict[str, list[tuple[str, str]]] = {}
    for action in window.findChildren(QAction):
        if id(action) in seen or not key_text(action) or not action_label(action):
            continue
        if not action.isVisible():
            continue
        seen.add(id(action))
        owner = type(action.parent()).__name__
        extra.setdefault(OTHER_SECTIONS.get(owner, "Other"), []).append(
            (action_label(action), key_text(action))
        )
    sections.extend(extra.items())
    return sections


def _formats(window) -> str:
    """The export formats of the open document's language, in words: "SVG, JSON or PNG"."""
    names = [n for n in EXPORT_FORMATS if window.actions_by_name[f"Export {n}"].isVisible()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _keys(names: dict[str, QAction]) -> dict[str, str]:
    return {name: key_text(action) or "no key" for name, action in names.items()}


def guide_html(window) -> str:
    """The guide's text: first steps (with the window's real keys) and the shortcut tables."""
    p = window.p
    k = _keys(
        {
            "load": window.actions_by_name["Load Target Image…"],
            "propose": p.proposals.actions_by_key["propose"],
            "accept": p.proposals.actions_by_key["accept"],
            "reject": p.proposals.actions_by_key["reject"],
            "autorun": p.proposals.actions_by_key["autorun"],
            "stop": p.proposals.actions_by_key["stop"],
            "undo": window.undo_action,
            "save": window.actions_by_name["Save"],
            "new csg": window.actions_by_name["New CSG2D Document"],
            "new svg": window.actions_by_name["New TinySVG Document"],
            **{f"tool:{name}": act for name, act in p.sketch_pad.tool_actions.items()},
        },
    )
    steps = [
        "<b>Draw</b> the part on the sketch pad (left): the pen "
        f"({k['tool:pen']}), the rectangle ({k['tool:rect']}) and ellipse "
        f"({k['tool:ellipse']}) tools, which snap to the grid; the fill tool "
        f"({k['tool:fill']}) makes a closed outline solid. Or load an image "
        f"({k['load']}), or drop one on the pad. <i>Target</i> says whether you drew a "
        "filled shape or an outline sketch.",
        f"<b>Ask for edits.</b> <i>Propose</i> ({k['propose']}) shows the model's next edit "
        f"to the program; <i>Accept</i> ({k['accept']}) or <i>Reject</i> ({k['reject']}) "
        f"it. <i>Auto-run</i> ({k['autorun']}) keeps searching until the program matches "
        f"your drawing or its budget is spent; <i>Stop</i> ({k['stop']}) keeps the best "
        "so far.",
        "<b>Edit by hand.</b> Double-click a value in the <i>Syntax tree</i> to change it, "
        "right-click a shape for more, or type in <i>Program text</i>. The centre view "
        "shows the program (blue) over your drawing, and the score.",
        f"<b>Undo</b> ({k['undo']}) takes back any step, a whole auto-run included. "
        f"<b>Save</b> ({k['save']}) a <i>.tsk</i> to keep drawing and program together; "
        f"<i>File ▸ Export</i> writes {_formats(window)}.",
        "<b>Two languages.</b> <i>File ▸ New</i> starts a CSG2D document "
        f"({k['new csg']}: circles and quads, added and cut, from a grey sketch) or a "
        f"TinySVG document ({k['new svg']}: coloured rectangles and ellipses, arranged "
        "side by side or one above the other and moved, from a colour picture). The "
        "status bar names the open document's language; the tree, the values, the "
        "program text and the exports follow it.",
    ]
    parts = ["<h3>First steps</h3><ol>", *(f"<li>{s}</li>" for s in steps), "</ol>"]
    parts.append("<h3>Keyboard shortcuts</h3>")
    for title, rows in shortcut_sections(window):
        parts.append(f"<p><b>{html.escape(title)}</b></p><table cellspacing='2'>")
        for label, keys in rows:
            parts.append(
                f"<tr><td width='60%'>{html.escape(label)}</td>"
                f"<td><tt>{html.escape(keys)}</tt></td></tr>"
            )
        parts.append("</table>")
    return "\n".join(parts)


class QuickGuide(QDialog):
    """A non-modal window with :func:`guide_html` (rebuilt each time it is shown)."""

    def __init__(self, window):
        super().__init__(window)
        self.window_ = window
        self.setWindowTitle("Quick Guide — TreeSketch")
        self.browser = QTextBrowser(openExternalLinks=False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
        self.resize(560, 640)

    def refresh(self) -> None:
        """Read the guide and the shortcuts again from the window."""
        self.browser.setHtml(guide_html(self.window_))
