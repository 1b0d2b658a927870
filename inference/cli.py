"""The headless command line, ``python -m inference``.

Subcommands (DESIGN.md §4)::

    render PROGRAM... -o DIR [--size N]   PNG renders; PROGRAM is a .csg or .json
                                          file, or a problems.jsonl set (DIR/<id>.png)
    export PROGRAM -o FILE [--size N]     FILE.{svg,scad,dxf,json,png,csg}
    synthesize IMAGE... [--sketch] [--budget N] [--seed N] [-o DIR] [--json]
               [--method M] [--model PATH] [--ink white|black]
                                          a program per image (one record each)
    bench DIR [--methods M,...] [--budget N] [--limit N] [-o OUT]
                                          every method on a problems.jsonl folder

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
from inference.methods import BASELINE_METHODS, BENCH_METHODS, METHODS
from inference.tree import Node

# synthesize/bench imports are deferred to their commands (onnxruntime loads slowly)

PROG = "python -m inference"
MAX_SIZE = 4096
"""Largest PNG side the CLI accepts."""


class UserError(Exception):
    """A problem the user can fix; reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``treesketch: error:`` line."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{message} (see '{self.prog} --help')")


def _int_arg(what: str, low: int, high: int):
    """An argparse type: an integer in ``low..high``, with a clear message otherwise."""

    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} must be {low}..{high}, got {value}")
        return value

    return convert


_size = _int_arg("size", 1, MAX_SIZE)
_positive = _int_arg("positive number", 1, 10**9)
_seed = _int_arg("seed", 0, 2**63 - 1)


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
    _add_synthesize(sub)
    _add_bench(sub)
    return parser


def _add_synthesize(sub) -> None:
    syn = sub.add_parser("synthesize", help="find a program for each image")
    syn.add_argument("images", nargs="+", metavar="IMAGE", help="target image files (PNG, ...)")
    syn.add_argument(
        "--sketch", action="store_true", help="the images are outline sketches (black on white)"
    )
    syn.add_argument(
        "--budget", type=_positive, default=5000, help="renderer calls per image (default 5000)"
    )
    syn.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    syn.add_argument("-o", "--output", metavar="DIR", help="write <name>.csg and <name>.png here")
    syn.add_argument("--json", action="store_true", help="print one JSON record per image")
    syn.add_argument(
        "--method",
        choices=METHODS,
        default="tree-diffusion",
        help="search method (default tree-diffusion; random, random+refine and repl need no model)",
    )
    syn.add_argument(
        "--model", metavar="PATH", help="policy model (default models/policy_<filled|sketch>.onnx)"
    )
    syn.add_argument(
        "--ink",
        choices=("white", "black"),
        help="which colour is the shape (default white for filled images, black for sketches)",
    )
    syn.set_defaults(run=cmd_synthesize)


def _add_bench(sub) -> None:
    bench = sub.add_parser("bench", help="benchmark every method on a problems.jsonl folder")
    bench.add_argument("folder", metavar="DIR", help="folder with problems.jsonl and PNGs")
    bench.add_argument(
        "--methods",
        metavar="M,...",
        help="comma-separated methods (default: all that can run), from "
        + ", ".join(BENCH_METHODS),
    )
    bench.add_argument(
        "--budget", type=_positive, default=5000, help="renderer calls per problem (default 5000)"
    )
    bench.add_argument("--limit", type=_positive, help="use only the first N problems")
    bench.add_argument("--seed", type=_seed, default=0, help="random seed (default 0)")
    bench.add_argument(
        "-o", "--output", metavar="OUT", default="bench-out", help="output folder (bench-out)"
    )
    bench.add_argument("--model", metavar="PATH", help="policy model (default the shipped one)")
    bench.add_argument(
        "--untrained-model",
        metavar="PATH",
        help="an exported untrained network of the same architecture (method 'untrained')",
    )
    bench.add_argument(
        "--ar-model",
        metavar="PATH",
        help="write model of the autoregressive baseline (method 'autoregressive'; "
        "default models/baseline_ar.onnx when it exists)",
    )
    bench.add_argument(
        "--sketch", action="store_true", help="targets are simulated sketches of the programs"
    )
    bench.set_defaults(run=cmd_bench)


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


class _Status:
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


def _load_model(path: str | None, modality: str, hint: bool = True):
    """The policy model at ``path`` (default: the shipped one); a one-line error otherwise."""
    from inference.onnx_model import ModelError, PolicyModel, default_model_path

    file = Path(path) if path else default_model_path(modality)
    try:
        return PolicyModel.load(file, modality=modality)
    except ModelError as e:
        extra = ", ".join(BASELINE_METHODS)
        more = f"; pass --model PATH or use a method without a model ({extra})"
        raise UserError(f"{e}{more if hint and not path else ''}") from None


def cmd_synthesize(args: argparse.Namespace) -> int:
    """``synthesize``: search a program for every image; one record per image on stdout."""
    import json

    from inference.images import ImageError
    from inference.syntax import parse
    from inference.synthesize import load_image_target, needs_model, output_stems, synthesize

    try:
        stems = output_stems(args.images)
    except ValueError as e:
        if args.output:
            raise UserError(str(e)) from None
        stems = [Path(p).stem for p in args.images]
    try:
        targets = [load_image_target(p, args.sketch, args.ink) for p in args.images]
    except ImageError as e:
        raise UserError(str(e)) from None
    modality = "sketch" if args.sketch else "filled"
    model = _load_model(args.model, modality) if needs_model(args.method) else None
    out = _output_dir(args.output) if args.output else None
    status = _Status(len(targets), "synthesizing")
    n_solved = 0
    for done, (path, stem, target) in enumerate(
        zip(args.images, stems, targets, strict=True), start=1
    ):
        res = synthesize(target, args.method, args.seed, args.budget, model, file=path)
        n_solved += res.solved
        if args.json:
            print(json.dumps(res.record()), flush=True)
        else:
            verdict = "solved" if res.solved else "not solved"
            print(
                f"{path}: {verdict}, score {res.score:.4f}, {res.calls} calls, "
                f"{res.seconds:.2f} s [{res.method}]\n  {res.program}",
                flush=True,
            )
        if out is not None:
            _write(out / f"{stem}.csg", (res.program + "\n").encode())
            _write(out / f"{stem}.png", to_png(parse(res.program), DEFAULT_PNG_SIZE))
        status.step(done, f"{n_solved} solved")
    status.finish(f"solved {n_solved}/{len(targets)}")
    return 0


def _bench_methods(args) -> tuple[dict, list[str]]:
    """``name → runner`` for the requested methods, and notes on the ones skipped."""
    from inference.bench import make_runner

    explicit = args.methods is not None
    names = [m.strip() for m in args.methods.split(",")] if explicit else list(BENCH_METHODS)
    for name in names:
        if name not in BENCH_METHODS:
            raise UserError(f"unknown method {name!r}; choose from {', '.join(BENCH_METHODS)}")
    runners, notes = {}, []
    wanted = [m for m in dict.fromkeys(names) if m in METHODS and m not in BASELINE_METHODS]
    trained = None
    if wanted:
        try:
            trained = _load_model(args.model, _mod(args), hint=explicit)
        except UserError as e:
            if explicit or args.model:
                raise
            notes.append(f"{', '.join(wanted)}: not run ({e})")
    for name in dict.fromkeys(names):
        if name == "untrained":
            if args.untrained_model is None:
                if explicit:
                    raise UserError("method 'untrained' needs --untrained-model PATH")
                notes.append("untrained: not run (no --untrained-model given)")
                continue
            model = _load_model(args.untrained_model, _mod(args))
            runners[name] = make_runner("tree-diffusion", model)
        elif name == "autoregressive":
            path = args.ar_model or _default_ar_model()
            if path is None:
                if explicit:
                    raise UserError("method 'autoregressive' needs --ar-model PATH")
                notes.append("autoregressive: not run (no models/baseline_ar.onnx)")
                continue
            model = _load_model(str(path), _mod(args))
            if model.task != "write":
                raise UserError(f"{path}: an edit model; 'autoregressive' needs a write model")
            runners[name] = make_runner(name, model)
        elif name in BASELINE_METHODS:
            runners[name] = make_runner(name)
        elif trained is not None:
            runners[name] = make_runner(name, trained)
    if not runners:
        raise UserError("no method to run")
    return runners, notes


def _default_ar_model() -> Path | None:
    from inference.onnx_model import default_model_path

    path = default_model_path("filled").parent / "baseline_ar.onnx"
    return path if path.exists() else None


def _mod(args) -> str:
    return "sketch" if args.sketch else "filled"


def cmd_bench(args: argparse.Namespace) -> int:
    """``bench``: every method on a problem folder; writes a table, records and a plot."""
    from inference.bench import load_problems, run_bench, summarize, write_outputs
    from inference.images import ImageError

    folder = Path(args.folder)
    if not (folder / "problems.jsonl").is_file():
        raise UserError(f"{args.folder}: no problems.jsonl there")
    try:
        problems = load_problems(folder, args.limit, args.sketch, args.seed)
    except ImageError as e:
        raise UserError(str(e)) from None
    if not problems:
        raise UserError(f"{args.folder}: problems.jsonl holds no problems")
    runners, notes = _bench_methods(args)
    for note in notes:
        print(f"treesketch: note: {note}", file=sys.stderr)
    out = _output_dir(args.output)
    status = _Status(len(runners) * len(problems), "bench")
    counts: dict[str, int] = {}

    def progress(name, rec) -> None:
        counts[name] = counts.get(name, 0) + rec.solved
        counts[""] = counts.get("", 0) + 1
        status.step(counts[""], f"{name}: {counts[name]} solved")

    records = run_bench(problems, runners, args.budget, args.seed, progress)
    summary = summarize(records, args.budget)
    settings = {
        "folder": str(folder),
        "problems": len(problems),
        "budget": args.budget,
        "seed": args.seed,
        "sketch": args.sketch,
        "methods": list(runners),
    }
    status.finish(f"benchmarked {len(runners)} methods on {len(problems)} problems")
    try:
        write_outputs(out, summary, records, settings, notes)
    except ImportError:
        raise UserError(
            f"matplotlib is needed for the plot (pip install matplotlib); "
            f"the table and records are in {out}"
        ) from None
    except OSError as e:
        raise UserError(f"cannot write to {out} ({e.strerror or e})") from None
    print((out / "bench.md").read_text(encoding="utf-8"), end="")
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
