"""The headless command line, ``python -m inference``.

Subcommands (DESIGN.md §4)::

    render PROGRAM... -o DIR [--size N] [--language L]
                                          PNG renders; PROGRAM is a .csg, .tsvg or .json
                                          file, or a problems.jsonl set (DIR/<id>.png)
    export PROGRAM -o FILE [--size N] [--language L]
                                          FILE.{svg,scad,dxf,json,png,csg}; a TinySVG
                                          drawing: FILE.{svg,json,png,tsvg}
    synthesize IMAGE... [--sketch | --drawn [UNITS]] [--budget N] [--seconds S] [--seed N]
               [-o DIR] [--json] [--method M] [--model PATH] [--ink auto|white|black]
               [--language L]             a program per image (one record each)
    bench DIR [--methods M,...] [--budget N] [--seconds S] [--limit N] [-o OUT]
              [--language L]              every method on a problems.jsonl folder

A program's language (CSG2D or TinySVG, docs/TINYSVG.md) is the one its contents
name, or its file suffix (``.tsvg``); ``--language`` insists on one and refuses a
program of the other.

With no arguments the help is printed and the exit status is 0, so the README's
``python3 dev.py run`` shows what there is to run.  A user error (bad input
file, unknown extension, malformed program, unwritable output) prints one line,
``treesketch: error: ...``, on stderr and exits with status 2, never with a
traceback; the line quotes input only escaped and shortened
(:mod:`inference.util.excerpt`).  Output files are written atomically, so a failure
leaves no partial file.  ``-o`` names a folder for ``render``, ``synthesize`` and
``bench`` (a trailing separator is allowed) and a file for ``export`` (a path
ending in a separator is refused: it names a folder).  An unexpected internal
error still shows its traceback (status 1).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from inference import __version__
from inference.cli.bench_command import add_bench
from inference.cli.common import (
    PROG,
    Progress,
    Status,
    UserError,
    add_budget_options,
    add_drawn_option,
    add_language_option,
    load_model,
    output_dir,
    output_file,
    seed_arg,
    size_arg,
    write_file,
)
from inference.files.exports import ALL_SUFFIXES, DEFAULT_PNG_SIZE, export_content
from inference.files.fileio import PROGRAM_SUFFIXES, ProgramFileError, read_problems, read_program
from inference.lang.grammar import Grammar
from inference.lang.tree import Node
from inference.search.methods import METHODS
from inference.util.excerpt import one_line

# synthesize/bench imports are deferred to their commands (onnxruntime loads slowly)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one ``treesketch: error:`` line."""

    def error(self, message: str):  # type: ignore[override]
        raise UserError(f"{message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; ``synthesize`` and ``bench`` join the same subparsers later."""
    parser = _Parser(prog=PROG, description="TreeSketch: CSG2D and TinySVG programs from drawings.")
    parser.add_argument("--version", action="version", version=f"treesketch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    render = sub.add_parser("render", help="render programs to PNG images")
    render.add_argument(
        "programs",
        nargs="+",
        metavar="PROGRAM",
        help=".csg, .tsvg or .json program, or a problems.jsonl file (records with id and program)",
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
        type=size_arg,
        default=DEFAULT_PNG_SIZE,
        help=f"image side in pixels (default {DEFAULT_PNG_SIZE})",
    )
    add_language_option(render)
    render.set_defaults(run=cmd_render)

    formats = ",".join(s.lstrip(".") for s in ALL_SUFFIXES)
    export = sub.add_parser("export", help="export a program to another format")
    export.add_argument("program", metavar="PROGRAM", help=".csg, .tsvg or .json program file")
    export.add_argument(
        "-o",
        "--output",
        required=True,
        metavar=f"FILE.{{{formats}}}",
        help="output file; its extension chooses the format",
    )
    export.add_argument(
        "--size",
        type=size_arg,
        default=DEFAULT_PNG_SIZE,
        help=f"PNG side in pixels (default {DEFAULT_PNG_SIZE})",
    )
    add_language_option(export)
    export.set_defaults(run=cmd_export)
    _add_synthesize(sub)
    add_bench(sub)
    return parser


def _add_synthesize(sub) -> None:
    syn = sub.add_parser("synthesize", help="find a program for each image")
    syn.add_argument("images", nargs="+", metavar="IMAGE", help="target image files (PNG, ...)")
    syn.add_argument(
        "--sketch", action="store_true", help="the images are outline sketches (black on white)"
    )
    add_drawn_option(syn, "the filled images are drawn by hand (a TinySVG unit is 6 px)")
    add_budget_options(syn, "image")
    syn.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
    syn.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        help="write <name>.csg (TinySVG: .tsvg) and <name>.png here",
    )
    syn.add_argument("--json", action="store_true", help="print one JSON record per image")
    syn.add_argument(
        "--method",
        choices=METHODS,
        default="tree-diffusion",
        help="search method (default tree-diffusion; random, random+refine and repl need no model)",
    )
    syn.add_argument(
        "--model",
        metavar="PATH",
        help="policy model (default models/policy_<filled|sketch>.onnx; for TinySVG "
        "models/policy_tinysvg.onnx)",
    )
    syn.add_argument(
        "--no-fit",
        action="store_true",
        help="do not start from a program fitted to the image (structure first; an ablation)",
    )
    add_language_option(
        syn,
        "the images' language (CSG2D, TinySVG; default CSG2D: grey shapes; TinySVG's are "
        "colour drawings on white)",
    )
    syn.add_argument(
        "--ink",
        choices=("auto", "white", "black"),
        default="auto",
        help="which colour is the shape or the strokes (default auto: the colour filling most "
        "of the image's border is the paper, everything far from it is ink)",
    )
    syn.set_defaults(run=cmd_synthesize)


def _load_jobs(paths: list[str], language: Grammar | None = None) -> list[tuple[str, Node]]:
    """``(output name, program)`` for every input; all inputs are read before any output."""
    jobs: list[tuple[str, Node]] = []
    for path in paths:
        suffix = Path(path).suffix.lower()
        if suffix == ".jsonl":
            for pid, node in read_problems(path):
                if language is not None and node.grammar is not language:
                    raise UserError(
                        f"{path}: '{pid}' is a {node.grammar.name} program, not {language.name}"
                    )
                jobs.append((pid, node))
        elif suffix in PROGRAM_SUFFIXES or not os.path.isfile(path):
            jobs.append((Path(path).stem, read_program(path, language)))  # reports missing
        else:
            shown = f"'{suffix}'" if suffix else "no extension"
            raise UserError(
                f"{path}: unknown program file type ({shown}); expected .csg, .tsvg, .json or "
                ".jsonl"
            )
    seen: dict[str, int] = {}
    for name, _ in jobs:
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        if seen[name.lower()] == 2:
            raise UserError(f"two inputs would both be written to {name}.png")
    return jobs


def cmd_render(args: argparse.Namespace) -> int:
    """``render``: one PNG per program in the output folder."""
    jobs = _load_jobs(args.programs, args.language)
    out = output_dir(args.output)
    progress = Progress(len(jobs))
    for done, (name, node) in enumerate(jobs, start=1):
        write_file(out / f"{name}.png", export_content(node, ".png", args.size))
        progress.step(done)
    progress.finish(out)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """``export``: one program to the format named by the output's extension."""
    target = output_file(args.output)
    suffix = target.suffix.lower()
    if suffix not in ALL_SUFFIXES:
        known = ", ".join(ALL_SUFFIXES)
        shown = f"'{suffix}'" if suffix else "no extension"
        raise UserError(f"{args.output}: unknown export format ({shown}); choose one of {known}")
    node = read_program(args.program, args.language)
    try:
        content = export_content(node, suffix, args.size)
    except ValueError as e:
        raise UserError(f"{args.output}: {e}") from None
    write_file(target, content)
    return 0


def _in_colour(image) -> bool:
    """True when at least 0.5 % of an RGB picture's pixels are clearly coloured (their
    channels differ by more than 80 of 255), as TinySVG drawings are and CSG2D's grey
    shapes and scanned pencil lines are not."""
    rgb = image.astype(int)
    spread = rgb.max(axis=-1) - rgb.min(axis=-1)
    return bool((spread > 80).mean() > 0.005)


def cmd_synthesize(args: argparse.Namespace) -> int:
    """``synthesize``: search a program for every image; one record per image on stdout."""
    import json

    from inference.files.images import ImageError, load_colour_image
    from inference.lang.syntax import detect_language, parse
    from inference.render.svg_scene import CANVAS
    from inference.search.beam import SearchConfig
    from inference.search.synthesize import (
        DEFAULT_BUDGET,
        GENERIC_METHODS,
        POLICY_METHODS_ANY_LANGUAGE,
        UNLIMITED_CALLS,
        load_image_target,
        needs_model,
        output_stems,
        synthesize,
    )
    from inference.targets.drawing_target import DrawingTarget
    from inference.targets.outline_fit import SKETCH_VERDICT
    from inference.targets.svg_tolerance import DRAWING_VERDICT

    try:
        stems = output_stems(args.images)
    except ValueError as e:
        if args.output:
            raise UserError(str(e)) from None
        stems = [Path(p).stem for p in args.images]
    if args.sketch and args.drawn:
        raise UserError("--drawn is for filled images; an outline sketch has its own fit")
    drawing = args.language is not None and args.language.name != "CSG2D"
    if drawing and args.sketch:
        raise UserError(
            f"--sketch is for CSG2D's grey images; {args.language.name} images are colour "
            "pictures (--drawn forgives a hand drawing's edges)"
        )
    allowed = GENERIC_METHODS + POLICY_METHODS_ANY_LANGUAGE
    if drawing and args.method not in allowed:
        raise UserError(
            f"method '{args.method}' works on CSG2D only; {args.language.name} images take "
            f"{', '.join(allowed)}"
        )
    try:
        if drawing:
            targets = [
                DrawingTarget(load_colour_image(p, CANVAS), tolerance=args.drawn)
                for p in args.images
            ]
        else:
            targets = [load_image_target(p, args.sketch, args.ink, args.drawn) for p in args.images]
            for p in args.images:
                if args.language is None and _in_colour(load_colour_image(p, CANVAS)):
                    print(
                        f"treesketch: note: {p} is a colour picture, read as a CSG2D shape; "
                        "for a TinySVG drawing add --language tinysvg",
                        file=sys.stderr,
                    )
    except ImageError as e:
        raise UserError(str(e)) from None
    modality = "sketch" if args.sketch else "filled"
    language = args.language if drawing else None
    model = (
        load_model(args.model, modality, language=language) if needs_model(args.method) else None
    )
    out = output_dir(args.output) if args.output else None
    status = Status(len(targets), "synthesizing")
    n_solved = 0
    for done, (path, stem, target) in enumerate(
        zip(args.images, stems, targets, strict=True), start=1
    ):
        config = SearchConfig(fit=not args.no_fit)
        budget = args.budget or (UNLIMITED_CALLS if args.seconds else DEFAULT_BUDGET)
        res = synthesize(
            target, args.method, args.seed, budget, model, path, config=config,
            seconds=args.seconds,
        )  # fmt: skip
        n_solved += res.solved
        if args.json:
            print(json.dumps(res.record()), flush=True)
        else:
            verdict = "solved" if res.solved else "not solved"
            if res.solved and args.sketch:  # a sketch pins values only to about a unit
                verdict = f"solved ({SKETCH_VERDICT}: check sizes and positions)"
            elif res.solved and drawing and args.drawn:  # so does a hand drawing
                verdict = f"solved ({DRAWING_VERDICT}: check sizes and positions)"
            print(
                f"{path}: {verdict}, score {res.score:.4f}, {res.calls} calls, "
                f"{res.seconds:.2f} s [{res.method}]\n  {res.program}",
                flush=True,
            )
        if out is not None:
            found = parse(res.program, grammar=detect_language(res.program))
            suffix = ".tsvg" if drawing else ".csg"
            write_file(out / f"{stem}{suffix}", (res.program + "\n").encode())
            write_file(out / f"{stem}.png", export_content(found, ".png", DEFAULT_PNG_SIZE))
        status.step(done, f"{n_solved} solved")
    status.finish(f"solved {n_solved}/{len(targets)}")
    return 0


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
        print(f"treesketch: error: {one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ntreesketch: interrupted", file=sys.stderr)
        return 130
