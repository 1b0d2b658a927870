"""The headless command line, ``python -m inference``.

Subcommands (DESIGN.md §4)::

    render PROGRAM... -o DIR [--size N]   PNG renders; PROGRAM is a .csg or .json
                                          file, or a problems.jsonl set (DIR/<id>.png)
    export PROGRAM -o FILE [--size N]     FILE.{svg,scad,dxf,json,png,csg}

With no arguments the help is printed and the exit status is 0, so the README's
``python3 dev.py run`` shows what there is to run.  A user error (bad input
file, unknown extension, malformed program, unwritable output) prints one line,
``treesketch: error: ...``, on stderr and exits with status 2, never with a
traceback; output files are written atomically, so a failure leaves no partial
file.  An unexpected internal error still shows its traceback (status 1).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from inference import __version__
from inference.exports import DEFAULT_PNG_SIZE, EXPORT_FORMATS, export_content, to_png
from inference.fileio import (
    PROGRAM_SUFFIXES,
    ProgramFileError,
    atomic_write_bytes,
    read_problems,
    read_program,
)
from inference.tree import Node

PROG = "python -m inference"
MAX_SIZE = 4096
"""Largest PNG side the CLI accepts."""


class UserError(Exception):
    """A problem the user can fix; reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``treesketch: error:`` line."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{message} (see '{self.prog} --help')")


def _size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}") from None
    if not 1 <= value <= MAX_SIZE:
        raise argparse.ArgumentTypeError(f"size must be 1..{MAX_SIZE}, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``synthesize`` and ``bench`` join the same subparsers later."""
    parser = _Parser(prog=PROG, description="TreeSketch: CSG2D programs from sketches.")
    parser.add_argument("--version", action="version", version=f"treesketch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser("render", help="render programs to PNG images")
    render.add_argument(
        "programs",
        nargs="+",
        metavar="PROGRAM",
        help=".csg or .json program, or a problems.jsonl file (records with id and program)",
    )
    render.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR",
        help="output folder (created if missing); one <name>.png per program",
    )
    render.add_argument(
        "--size",
        type=_size,
        default=DEFAULT_PNG_SIZE,
        help=f"image side in pixels (default {DEFAULT_PNG_SIZE})",
    )
    render.set_defaults(run=cmd_render)

    formats = ",".join(s.lstrip(".") for s in EXPORT_FORMATS)
    export = sub.add_parser("export", help="export a program to another format")
    export.add_argument("program", metavar="PROGRAM", help=".csg or .json program file")
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar=f"FILE.{{{formats}}}",
        help="output file; its extension chooses the format",
    )
    export.add_argument(
        "--size",
        type=_size,
        default=DEFAULT_PNG_SIZE,
        help=f"PNG side in pixels (default {DEFAULT_PNG_SIZE})",
    )
    export.set_defaults(run=cmd_export)
    return parser


def _load_jobs(paths: list[str]) -> list[tuple[str, Node]]:
    """``(output name, program)`` for every input; all inputs are read before any output."""
    jobs: list[tuple[str, Node]] = []
    for path in paths:
        suffix = Path(path).suffix.lower()
        if suffix == ".jsonl":
            jobs.extend(read_problems(path))
        elif suffix in PROGRAM_SUFFIXES or not os.path.isfile(path):
            jobs.append((Path(path).stem, read_program(path)))  # reports missing, folder
        else:
            shown = f"'{suffix}'" if suffix else "no extension"
            raise UserError(
                f"{path}: unknown program file type ({shown}); expected .csg, .json or .jsonl"
            )
    seen: dict[str, int] = {}
    for name, _ in jobs:
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if seen[name.lower()] == 2:
            raise UserError(f"two inputs would both be written to {name}.png")
    return jobs


def _output_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"{path}: exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create folder {path} ({e.strerror or e})") from None
    return out


class _Progress:
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


def cmd_render(args: argparse.Namespace) -> int:
    """``render``: one PNG per program in the output folder."""
    jobs = _load_jobs(args.programs)
    out = _output_dir(args.output)
    progress = _Progress(len(jobs))
    for done, (name, node) in enumerate(jobs, start=1):
        _write(out / f"{name}.png", to_png(node, args.size))
        progress.step(done)
    progress.finish(out)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``export``: one program to the format named by the output's extension."""
    target = Path(args.output)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        known = ", ".join(EXPORT_FORMATS)
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UserError(f"{args.output}: unknown export format ({shown}); choose one of {known}")
    node = read_program(args.program)
    _write(target, export_content(node, suffix, args.size))
    return 0


def _write(path: Path, data: bytes) -> None:
    if not path.parent.is_dir():
        raise UserError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        atomic_write_bytes(path, data)
    except OSError as e:
        raise UserError(f"cannot write {path} ({e.strerror or e})") from None


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 user error, 130 interrupted)."""
    parser = build_parser()
    args_list = sys.argv[1:] if argv is None else argv
    try:
        if not args_list:
            parser.print_help()
            return 0
        args = parser.parse_args(args_list)
        if args.command is None:
            parser.print_help()
            return 0
        return args.run(args)
    except (UserError, ProgramFileError) as e:
        print(f"treesketch: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ntreesketch: interrupted", file=sys.stderr)
        return 130
