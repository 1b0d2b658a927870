"""Helpers shared by the subcommands of :mod:`inference.cli.commands`.

Argument types, the one-line :class:`UserError`, output folders and files, progress
lines on stderr and policy-model loading.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from inference.files.fileio import atomic_write_bytes
from inference.lang.grammar import GRAMMARS, Grammar, grammar_named
from inference.search.methods import BASELINE_METHODS
from inference.util.excerpt import excerpt

PROG = "python -m inference"
MAX_SIZE = 4096
"""Largest PNG side the CLI accepts."""


class UserError(Exception):
    """A problem the user can fix; reported as one line with exit status 2."""


def int_arg(what: str, low: int, high: int):
    """An argparse type: an integer in ``low..high``, with a clear message otherwise."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} '{excerpt(text)}'") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be {low}..{high}, got {value}")
        return value

    return convert


size_arg = int_arg("size", 1, MAX_SIZE)
"""An argparse type: an image side in pixels, ``1..MAX_SIZE``."""
positive = int_arg("positive number", 1, 10**9)
"""An argparse type: a positive count such as a budget or a limit."""
seed_arg = int_arg("seed", 0, 2**63 - 1)
"""An argparse type: a random seed, ``0..2**63 - 1``."""
MAX_SECONDS = 24 * 3600.0
"""Longest wall-clock limit a command takes (a day)."""


def positive_seconds(text: str) -> float:
    """An argparse type: a wall-clock limit in seconds, more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid seconds '{excerpt(text)}'") from None
    if not 0 < value <= MAX_SECONDS:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"seconds must be more than 0 and at most {MAX_SECONDS:g}")
    return value


def tolerance_arg(text: str) -> float:
    """An argparse type: an edge tolerance in canvas units, ``0..MAX_TOLERANCE``."""
    from inference.targets.drawn_score import MAX_TOLERANCE

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid tolerance '{excerpt(text)}'") from None
    if not 0.0 <= value <= MAX_TOLERANCE:
        raise argparse.ArgumentTypeError(
            f"a tolerance must be ≥ 0 and ≤ {MAX_TOLERANCE:g} canvas units, got {value:g}"
        )
    return value


def add_budget_options(parser: argparse.ArgumentParser, each: str) -> None:
    """``--budget N`` (renderer calls) and ``--seconds S`` (wall clock) for ``each`` search
    ("image", "problem"); with ``--seconds`` alone there is no call limit."""
    parser.add_argument(
        "--budget",
        type=positive,
        default=None,
        help=f"renderer calls per {each} (default 5000; with --seconds, as many as fit)",
    )
    parser.add_argument(
        "--seconds",
        type=positive_seconds,
        default=None,
        metavar="S",
        help=f"wall-clock limit per {each}: the search may spend as many renderer calls as "
        "fit in S seconds and returns its best program then",
    )


def add_drawn_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--drawn [UNITS]`` (default 0 = off, 1 when given bare); ``what`` starts its help."""
    parser.add_argument(
        "--drawn",
        nargs="?",
        type=tolerance_arg,
        const=1.0,
        default=0.0,
        metavar="UNITS",
        help=f"{what}: forgive edges within UNITS canvas units (default 1; the canvas is "
        "32 units wide)",
    )


def output_dir(path: str) -> Path:
    """The output folder ``path``, created if missing; a one-line error if it cannot be."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"{path}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create folder {path} ({e.strerror or e})") from None
    return out


def output_file(path: str) -> Path:
    """The output file ``path``; a one-line error when the path names a folder.

    A path ending in a separator (``new.svg/``) or in ``.`` or ``..`` names a folder,
    however it is spelled before that (``pathlib`` would drop the separator and write
    a file ``new.svg``).  Commands that write one file take their ``-o`` through here;
    those that write into a folder take it through :func:`output_dir`, where such a
    path is simply that folder.
    """
    separators = (os.sep, os.altsep) if os.altsep else (os.sep,)
    if path.endswith(separators) and path.rstrip("".join(separators)):
        raise UserError(
            f"{path}: ends with '{path[-1]}', so it names a folder, not a file; "
            f"did you mean {path.rstrip(''.join(separators))}?"
        )
    if os.path.basename(path) in ("", ".", ".."):
        raise UserError(f"{path or repr(path)}: names a folder, not a file")
    return Path(path)


class Progress:
    """One self-updating stderr line on a terminal; a single summary line otherwise."""

    def __init__(self, total: int):
        self.total = total
        self.live = total > 1 and sys.stderr.isatty()
        self.start = self.last = time.monotonic()

    def step(self, done: int) -> None:
        now = time.monotonic()
        if self.live and (now - self.last > 0.1 or done == self.total):
            self.last = now
            print(f"\rrendering {done}/{self.total}", end="", file=sys.stderr, flush=True)

    def finish(self, out: Path) -> None:
        if self.total > 1:
            seconds = time.monotonic() - self.start
            end = "\r" if self.live else ""
            print(f"{end}rendered {self.total} images to {out} in {seconds:.1f} s", file=sys.stderr)


class Status:
    """Progress on stderr: a self-updating bar on a terminal, a line per 10 % otherwise."""

    def __init__(self, total: int, label: str):
        self.total, self.label = total, label
        self.live = sys.stderr.isatty()
        self.last, self.tenths = 0.0, 0

    def step(self, done: int, note: str = "") -> None:
        if self.total <= 1:
            return
        if self.live:
            now = time.monotonic()
            if now - self.last > 0.1 or done == self.total:
                self.last = now
                bar = "#" * (20 * done // self.total)
                line = f"{self.label} [{bar:.<20}] {done}/{self.total} {note}"
                print(f"\r{line}\033[K", end="", file=sys.stderr, flush=True)
        elif done * 10 // self.total > self.tenths:
            self.tenths = done * 10 // self.total
            print(f"{self.label} {done}/{self.total} {note}", file=sys.stderr, flush=True)

    def finish(self, summary: str) -> None:
        if self.total <= 1:
            return
        if self.live:
            print("\r\033[K", end="", file=sys.stderr)
        print(summary, file=sys.stderr)


def load_model(
    path: str | None,
    modality: str,
    hint: bool = True,
    task: str = "edit",
    language: Grammar | None = None,
):
    """The policy model at ``path`` (default: the shipped one of ``language``, CSG2D's for
    ``modality`` or ``models/policy_tinysvg.onnx``); a one-line error otherwise.

    ``task`` is what the model must have been trained for: "edit" (the tree-diffusion
    methods) or "write" (the autoregressive baseline); a model of the other is refused,
    and so is one of another ``language`` than the one given.
    """
    from inference.model.onnx_model import (
        ModelError,
        PolicyModel,
        default_model_path,
        default_svg_model_path,
    )

    if path:
        file = Path(path)
    elif language is not None and language.name == "TinySVG":
        file = default_svg_model_path()
    else:
        file = default_model_path(modality)
    try:
        name = None if language is None else language.name
        return PolicyModel.load(file, modality=modality, task=task, language=name)
    except ModelError as e:
        extra = ", ".join(BASELINE_METHODS)
        more = f"; pass --model PATH or use a method without a model ({extra})"
        raise UserError(f"{e}{more if hint and not path else ''}") from None


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically; a one-line error if that fails."""
    if not path.parent.is_dir():
        raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise UserError(f"cannot write {path} ({e.strerror or e})") from None


def add_language_option(parser: argparse.ArgumentParser, text: str | None = None) -> None:
    """``--language``: the programs' language, when it should not be read from them (or
    ``text`` for another default)."""
    names = ", ".join(g.name for g in GRAMMARS.values())
    parser.add_argument(
        "--language",
        type=language_arg,
        metavar="L",
        help=text or f"the programs' language ({names}; default: what each program's text says)",
    )


def language_arg(text: str) -> Grammar:
    """An argparse type: a language by name, in any case (``tinysvg``)."""
    try:
        return grammar_named(text)
    except KeyError:
        names = ", ".join(g.name.lower() for g in GRAMMARS.values())
        raise argparse.ArgumentTypeError(f"unknown language '{text}' (choose {names})") from None
