"""Soak test: the real editor on Qt's xcb platform, drawn on with real X mouse events.

Issue 11: with a faulty Qt binding (PySide6 6.12.0) every void Qt call lost a
reference to ``None`` and the editor aborted with ``Fatal Python error:
none_dealloc`` after a while of drawing.  This test starts its own Xvfb
server, launches ``python -m editor`` as a user would (``dev.py run``) with
settings and autosave in a temporary home, and drives it through xdotool:
more than a thousand pen, eraser, rectangle, ellipse and fill strokes with
tool keys, undo and redo keys, and proposals (Propose, then Accept) between
them.  It then saves the document through the Save dialog and quits with
Ctrl+Q.  It fails when the editor dies at any point, exits non-zero, or
prints "Fatal Python error"; and it checks that the strokes really reached
the document (the saved ``.tsk`` has ink, the accepted proposal changed the
program).

The sketch pad is found on a screenshot: its backdrop colour
(``editor.canvas.BACKDROP``) surrounds the paper, the pad is left of the
render view, and the paper square is placed as ``CanvasWidget.canvas_rect``
places it.

Needs ``Xvfb`` and ``xdotool`` (``python3 dev.py test`` installs them where it
can, see dev.py); skipped without them unless ``TREESKETCH_XCB_REQUIRED=1``.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from editor.canvas import BACKDROP
from editor.docfile import read_document
from editor.document import DEFAULT_PROGRAM
from inference.lang.syntax import parse
from inference.render.geometry import CANVAS

REPO = Path(__file__).resolve().parents[2]
SCREEN = (1600, 1000)
STROKES = 1200
"""Pen, eraser, shape and fill strokes sent (at least 1,000 asked for by issue 11)."""
BATCH = 40
"""Strokes per xdotool invocation; the editor is checked for life after each."""
PROPOSE_EVERY = 6
"""Batches between proposals (Propose, wait, Accept)."""
KEYS = {"pen": "p", "eraser": "e", "fill": "f", "rect": "r", "ellipse": "o"}
"""The sketch pad's tool shortcuts (``editor.sketch_pad.TOOLS``)."""
REQUIRED_ENV = "TREESKETCH_XCB_REQUIRED"

LAUNCH = """
import faulthandler, runpy, signal, sys
faulthandler.register(signal.SIGUSR1, all_threads=True)  # stacks on demand (stuck GUI)
sys.argv = ["editor"]
runpy.run_module("editor", run_name="__main__", alter_sys=True)
"""
"""``python -m editor``, plus every thread's stack on stderr at SIGUSR1."""
SCREENSHOT = """
import sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([sys.argv[0], "-platform", "xcb"])
sys.exit(0 if app.primaryScreen().grabWindow(0).save(sys.argv[1]) else 1)
"""


def _need_tools() -> None:
    missing = [t for t in ("Xvfb", "xdotool") if shutil.which(t) is None]
    if not sys.platform.startswith("linux"):
        pytest.skip("the xcb soak test runs on Linux only")
    if missing:
        why = (
            f"{' and '.join(missing)} not installed (Debian: apt-get install xvfb xdotool "
            "libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0; dev.py test "
            "does it as root)"
        )
        if os.environ.get(REQUIRED_ENV) == "1":
            pytest.fail(f"{REQUIRED_ENV}=1 but {why}")
        pytest.skip(why)


class Xvfb:
    """A private X server on a display number it picks itself (``-displayfd``)."""

    def __init__(self, size: tuple[int, int], log: Path):
        read, write = os.pipe()
        self.log = log
        with log.open("wb") as err:
            self.proc = subprocess.Popen(
                [
                    "Xvfb",
                    "-displayfd",
                    str(write),
                    "-screen",
                    "0",
                    f"{size[0]}x{size[1]}x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ],
                pass_fds=(write,),
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise RuntimeError(f"Xvfb did not start: {log.read_text(errors='replace')[-500:]}")
        self.display = f":{number}"

    def stop(self) -> None:
        """Stop the server."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Editor:
    """``python -m editor`` on the xcb platform of ``display``, in a private home."""

    def __init__(self, display: str, home: Path):
        self.home = home
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_RUNTIME_DIR": str(home / "runtime"),
            "TMPDIR": str(home / "tmp"),
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "LANG": "C.UTF-8",
            # as dev.py run: the repository first, then the caller's PYTHONPATH
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p
            ),
            "PYTHONFAULTHANDLER": "1",
        }
        for key in ("XDG_RUNTIME_DIR", "TMPDIR"):
            Path(self.env[key]).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.stderr_path = home / "editor.stderr"
        self.stderr = self.stderr_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH],
            cwd=home,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.stderr,
        )

    def errors(self) -> str:
        """What the editor wrote to stderr so far."""
        self.stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def check_alive(self, when: str) -> None:
        """Fail the test, with the exit status and stderr, if the editor has ended."""
        code = self.proc.poll()
        if code is not None:
            abort = " (SIGABRT: an abort)" if code in (-6, 134) else ""
            pytest.fail(
                f"the editor died {when}: exit status {code}{abort}\n"
                f"--- its stderr (last 3000 characters) ---\n{self.errors()[-3000:]}"
            )

    def xdotool(self, *args: str, timeout: float = 120) -> str:
        """Run xdotool on the editor's display; its stdout."""
        r = subprocess.run(
            ["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if r.returncode:
            self.check_alive(f"during xdotool {' '.join(args[:3])}")
            raise AssertionError(f"xdotool {' '.join(args[:6])}... failed: {r.stderr}")
        return r.stdout

    def wait_window(self, name: str, timeout: float = 60) -> str:
        """The id of the first visible window whose title matches ``name`` (waits)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.check_alive(f"while waiting for the window {name!r}")
            r = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", name],
                env=self.env,
                capture_output=True,
                text=True,
            )
            if r.stdout.split():
                return r.stdout.split()[0]
            time.sleep(0.3)
        pytest.fail(f"no window {name!r} within {timeout} s; stderr:\n{self.errors()[-2000:]}")

    def sync(self, window: str) -> None:
        """Wait until the editor has handled every event sent so far: open Preferences
        (Ctrl+,), whose window shows only after the events before it, and close it.

        Without a window manager Qt can lose track of the active window (after a dialog,
        say), so the key is sent again, with the focus set first, until the dialog shows
        or nearly three minutes have passed; from the second try on, the focus moves away
        and back first (:meth:`refocus`), as a window manager would give it."""
        dialog, attempt = self.open_dialog(window, "ctrl+comma", "Preferences", 8, 20)
        self.xdotool("windowfocus", "--sync", dialog, "key", "Escape")
        if attempt:  # a late answer to an earlier key would open a second dialog: close it
            time.sleep(1.0)
            try:
                late = self.wait_window("Preferences", timeout=2)
                self.xdotool("windowfocus", "--sync", late, "key", "Escape")
            except pytest.fail.Exception:
                pass
        self.xdotool("windowfocus", "--sync", window)

    def diagnosis(self) -> str:
        """What a stuck editor shows: its windows, the X focus, every thread's stack."""
        focus = subprocess.run(
            ["xdotool", "getwindowfocus", "getwindowname"],
            env=self.env,
            capture_output=True,
            text=True,
        ).stdout.strip()
        before = len(self.errors())
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
        return (
            f"visible windows: {self.window_names()}; X focus: {focus!r}\n"
            f"--- stderr before ---\n{self.errors()[:before][-2000:]}\n"
            f"--- stacks ---\n{self.errors()[before:][-6000:]}"
        )

    def open_dialog(
        self, window: str, key: str, title: str, tries: int, timeout: float
    ) -> tuple[str, int]:
        """Press ``key`` in ``window`` until the dialog ``title`` shows; its id and the
        attempt that opened it.  From the second try on the focus moves away and back
        first (:meth:`refocus`); after the last one the test fails with a screenshot and
        :meth:`diagnosis`."""
        for attempt in range(tries):
            if attempt:  # give the window the focus anew, as a window manager would
                self.refocus(window)
            self.xdotool("windowfocus", "--sync", window, "key", key)
            try:
                return self.wait_window(title, timeout=timeout), attempt
            except pytest.fail.Exception:
                pass
        shot = f"no-{title.lower().replace(' ', '-')}.png"
        self.screenshot(shot)
        pytest.fail(f"{title} never showed (screenshot {self.home / shot}); {self.diagnosis()}")

    def window_names(self) -> list[str]:
        """The titles of the visible windows (for a failure's message)."""
        r = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", ""],
            env=self.env,
            capture_output=True,
            text=True,
        )
        names = []
        for wid in r.stdout.split():
            n = subprocess.run(
                ["xdotool", "getwindowname", wid], env=self.env, capture_output=True, text=True
            )
            names.append(n.stdout.strip())
        return names

    def refocus(self, window: str) -> None:
        """Move the X focus to the root window and back to ``window``, and click its
        status bar (no action there).

        Without a window manager, Qt can be left with no active window while the X focus
        is already on ``window`` (it ignores focus events that only follow the pointer),
        and then setting the focus to ``window`` again sends no event at all; a focus
        change from elsewhere does, and Qt takes the window as active again."""
        root = self.xdotool("search", "--maxdepth", "0", "--name", "").split()[0]
        self.xdotool("windowfocus", "--sync", root, "sleep", "0.3", "windowfocus", "--sync", window)
        shell = self.xdotool("getwindowgeometry", "--shell", window)
        size = dict(line.split("=", 1) for line in shell.split() if "=" in line)
        x, y = int(size["WIDTH"]) // 2, int(size["HEIGHT"]) - 6
        self.xdotool("mousemove", "--window", window, str(x), str(y), "click", "1")

    def screenshot(self, name: str = "screen.png") -> np.ndarray:
        """The whole screen as an (h, w, 3) uint8 array (kept as ``name`` in the home)."""
        path = self.home / name
        subprocess.run(
            [sys.executable, "-c", SCREENSHOT, str(path)], env=self.env, check=True, timeout=60
        )
        return np.asarray(Image.open(path).convert("RGB"))


def find_pad(screen: np.ndarray) -> tuple[float, float, float] | None:
    """``(x, y, side)`` of the sketch pad's paper square in screen pixels, or ``None``.

    The pad is the leftmost area in the canvas backdrop colour; its paper square is
    centred in it with the side ``0.94 * min(width, height)`` (zoom 1, no pan).
    """
    backdrop = np.array([BACKDROP.red(), BACKDROP.green(), BACKDROP.blue()])
    mask = np.all(screen == backdrop, axis=2)
    cols = np.flatnonzero(mask.sum(axis=0) >= 8)
    if cols.size == 0:
        return None
    gaps = np.flatnonzero(np.diff(cols) > 1)
    left, right = cols[0], cols[gaps[0]] if gaps.size else cols[-1]
    rows = np.flatnonzero(mask[:, left : right + 1].any(axis=1))
    top, bottom = rows[0], rows[-1]
    width, height = right - left + 1, bottom - top + 1
    if min(width, height) < 150:
        return None
    side = 0.94 * min(width, height)
    return left + (width - side) / 2, top + (height - side) / 2, side


def strokes(rng: random.Random, count: int):
    """``count`` (tool, button, shift, points in canvas units) tuples cycling the tools."""
    order = ["pen", "pen", "rect", "pen", "ellipse", "fill", "eraser", "pen", "rect", "fill"]
    for i in range(count):
        tool = order[i % len(order)]
        button = 3 if tool in ("rect", "ellipse") and rng.random() < 0.2 else 1
        shift = tool in ("rect", "ellipse") and rng.random() < 0.3
        if tool == "fill":
            points = [(rng.uniform(3, 29), rng.uniform(3, 29))]
        elif tool in ("rect", "ellipse"):
            x, y = rng.uniform(2, 22), rng.uniform(2, 22)
            points = [(x, y), (x + rng.uniform(3, 8), y + rng.uniform(3, 8))]
        else:
            x, y = rng.uniform(3, 29), rng.uniform(3, 29)
            points = [(x, y)]
            for _ in range(rng.randint(3, 9)):
                x = min(30.0, max(2.0, x + rng.uniform(-4, 4)))
                y = min(30.0, max(2.0, y + rng.uniform(-4, 4)))
                points.append((x, y))
        yield tool, button, shift, points


def stroke_commands(pad, tool, button, shift, points) -> list[str]:
    """xdotool commands for one stroke (a click for the fill tool)."""
    x0, y0, side = pad
    scale = side / CANVAS

    def at(p):
        return ["mousemove", str(round(x0 + p[0] * scale)), str(round(y0 + p[1] * scale))]

    cmds = ["key", KEYS[tool], *at(points[0])]
    if shift:
        cmds += ["keydown", "shift"]
    cmds += ["mousedown", str(button)]
    for p in points[1:]:
        cmds += ["sleep", "0.002", *at(p)]
    cmds += ["mouseup", str(button)]
    if shift:
        cmds += ["keyup", "shift"]
    return cmds


@pytest.mark.timeout(420)
def test_thousand_strokes_on_xcb_then_quit(tmp_path, fake_model_path):
    """1,200 real strokes with undo/redo and proposals, save, Ctrl+Q: exit status 0."""
    _need_tools()
    from editor.settings import Preferences, Settings  # QSettings, no QApplication needed

    home = tmp_path / "home"
    settings = Settings.at(home / "config" / "TreeSketch" / "TreeSketch.conf")
    settings.set_preferences(Preferences(model_path=str(fake_model_path)))
    saved = tmp_path / "soak.tsk"
    server = Xvfb(SCREEN, tmp_path / "xvfb.log")
    editor = None
    started = time.monotonic()
    try:
        editor = Editor(server.display, home)
        try:
            window = editor.wait_window("TreeSketch")
        except pytest.fail.Exception:
            if "platform plugin" in editor.errors() and os.environ.get(REQUIRED_ENV) != "1":
                pytest.skip(f"Qt's xcb platform cannot start here: {editor.errors()[-300:]}")
            raise
        pad = None
        for _ in range(60):
            editor.check_alive("while starting")
            pad = find_pad(editor.screenshot())
            if pad is not None:
                break
            time.sleep(0.5)
        assert pad is not None, "the sketch pad's backdrop never showed on the screen"
        editor.xdotool("windowfocus", "--sync", window)
        x0, y0, side = pad
        centre = [str(round(x0 + side / 2)), str(round(y0 + side / 2))]
        editor.xdotool("mousemove", *centre, "click", "1")  # focus the pad (a dot of ink)

        rng = random.Random(11)
        all_strokes = list(strokes(rng, STROKES))
        sent = keys_sent = proposals = 0
        for b in range(0, STROKES, BATCH):
            cmds: list[str] = []
            for i, stroke in enumerate(all_strokes[b : b + BATCH]):
                cmds += stroke_commands(pad, *stroke)
                if i % 7 == 6:
                    cmds += ["key", "ctrl+z", "key", "ctrl+z", "key", "ctrl+shift+z"]
                    keys_sent += 3
            editor.xdotool(*cmds)
            sent += len(all_strokes[b : b + BATCH])
            editor.check_alive(f"after {sent} strokes")
            if (b // BATCH) % PROPOSE_EVERY == PROPOSE_EVERY - 1:
                editor.sync(window)  # the proposal is for the target drawn so far
                editor.xdotool("key", "ctrl+e", "sleep", "1.5", "key", "ctrl+shift+Return")
                proposals += 1
                editor.check_alive(f"after proposal {proposals}")
        drawn = time.monotonic() - started

        editor.sync(window)
        editor.screenshot("drawn.png")  # for a person looking into a failure
        # Save through the dialog: the editor answers only once it has handled every
        # event sent before, and a clean document quits without a question.
        dialog, _ = editor.open_dialog(window, "ctrl+s", "Save as", 4, 30)
        editor.xdotool("windowfocus", "--sync", dialog, "key", "ctrl+a")
        editor.xdotool("type", "--delay", "5", str(saved))
        editor.xdotool("key", "Return")
        end = time.monotonic() + 30
        while not saved.exists() and time.monotonic() < end:
            editor.check_alive("while saving")
            time.sleep(0.2)
        assert saved.exists(), f"the Save dialog did not save {saved}"
        editor.xdotool("windowfocus", "--sync", window, "key", "ctrl+q")
        try:
            code = editor.proc.wait(60)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the editor did not quit on Ctrl+Q; stderr:\n{editor.errors()[-2000:]}")
        errors = editor.errors()
        total = time.monotonic() - started
        print(
            f"soak: {sent} strokes, {keys_sent} undo/redo keys, {proposals} proposals; "
            f"drawing {drawn:.0f} s, total {total:.0f} s"
        )
        assert "Fatal Python error" not in errors, f"the editor aborted:\n{errors[-3000:]}"
        assert code == 0, f"the editor exited with status {code}:\n{errors[-3000:]}"
    finally:
        if editor is not None and editor.proc.poll() is None:
            editor.proc.kill()
            editor.proc.wait()
        if editor is not None:
            editor.stderr.close()
        server.stop()

    assert sent >= 1000 and proposals >= 4
    doc = read_document(saved)
    assert doc.target.mean() > 0.01, "the strokes did not reach the document"
    assert doc.program != parse(DEFAULT_PROGRAM), "no proposal was accepted"
    settings.store.sync()  # re-read: the editor wrote its window state there on quitting
    assert settings.window_state()[0] is not None, "the editor did not use the private settings"
