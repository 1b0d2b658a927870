"""The ``bench`` subcommand of :mod:`inference.cli.commands`: every method on a problem folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inference.cli.common import (
    Status,
    UserError,
    add_budget_options,
    add_drawn_option,
    add_language_option,
    int_arg,
    load_model,
    output_dir,
    positive,
    seed_arg,
)
from inference.search.methods import BASELINE_METHODS, BENCH_METHODS, METHODS
from inference.util.excerpt import excerpt

# inference.cli.bench and the model imports are deferred to the command (onnxruntime loads slowly)


def add_bench(sub) -> None:
    """Add the ``bench`` subcommand to the subparsers ``sub``."""
    bench = sub.add_parser("bench", help="benchmark every method on a problems.jsonl folder")
    bench.add_argument("folder", metavar="DIR", help="folder with problems.jsonl and PNGs")
    add_language_option(bench)
    bench.add_argument(
        "--methods",
        metavar="M,...",
        help="comma-separated methods (default: all that can run), from "
        + ", ".join(BENCH_METHODS),
    )
    add_budget_options(bench, "problem and method")
    bench.add_argument("--limit", type=positive, help="use only the first N problems")
    bench.add_argument(
        "--skip",
        type=int_arg("skip", 0, 10**9),
        default=0,
        help="leave out the first N of them (each problem keeps its seed, so two slices "
        "add up to one run)",
    )
    bench.add_argument("--seed", type=seed_arg, default=0, help="random seed (default 0)")
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
    add_drawn_option(bench, "targets are simulated filled hand drawings of the programs")
    bench.add_argument(
        "--pen",
        type=float,
        metavar="UNITS",
        help="with --drawn: the drawings' pen width (default random in 0.5-1.5 units)",
    )
    bench.add_argument(
        "--jitter",
        type=float,
        default=1.0,
        metavar="SCALE",
        help="with --drawn: scale of each ring's random offset, size and angle (default 1, "
        "the sketches'; 0.3 is a careful drawing along the grid)",
    )
    bench.add_argument(
        "--no-views",
        action="store_true",
        help="with --drawn: show the policy only the drawing, not also its eroded and "
        "dilated views (an ablation)",
    )
    bench.add_argument(
        "--no-fit",
        action="store_true",
        help="do not start from a program fitted to the target (structure first; an ablation)",
    )
    bench.add_argument(
        "--residual",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fix near misses on exact targets (new best CSG2D programs scoring 0.9 or more) "
        "by fitting primitives to where they and the target disagree (issue 13's lever; on "
        "by default, --no-residual for the ablation)",
    )
    bench.add_argument(
        "--rank",
        choices=("value", "logprob", "score"),
        default="value",
        help="how beam search ranks children (default value: the value head's edits left)",
    )
    bench.add_argument(
        "--restarts",
        type=int_arg("restarts", 0, 1000),
        metavar="N",
        help="most restarts of a stalled beam from its best program (issue 13's lever; "
        "default: the search's, none)",
    )
    bench.add_argument(
        "--levers",
        action="store_true",
        help="issue 13's ablation in one run: besides the other methods, the tree-diffusion "
        "search with each lever switched (fit, residual, ranking, restarts, refinement), "
        "each as a method of its own",
    )
    bench.add_argument(
        "--compare-model",
        metavar="PATH",
        action="append",
        default=[],
        help="with --levers: another policy file in the same search (e.g. the float export "
        "beside the shipped int8 copy); may be given more than once",
    )
    bench.set_defaults(run=cmd_bench)
    merge = sub.add_parser(
        "bench-merge", help="merge bench slices (--skip/--limit) into one run's table and plot"
    )
    merge.add_argument("output", metavar="OUT", help="folder for the merged outputs")
    merge.add_argument(
        "slices", metavar="SLICE", nargs="+", help="bench output folders of one run's slices"
    )
    merge.set_defaults(run=cmd_bench_merge)


def _bench_methods(args) -> tuple[dict, list[str]]:
    """``name → runner`` for the requested methods, and notes on the ones skipped."""
    from inference.cli.bench import make_runner as runner_for
    from inference.search.beam import SearchConfig

    if args.restarts is None:
        args.restarts = SearchConfig.restarts  # recorded in the run's settings
    config = SearchConfig(
        rank=args.rank,
        views=not args.no_views,
        fit=not args.no_fit,
        residual=args.residual,
        restarts=args.restarts,
    )

    def make_runner(method, model=None):
        return runner_for(method, model, config)

    explicit = args.methods is not None
    names = [m.strip() for m in args.methods.split(",")] if explicit else list(BENCH_METHODS)
    for name in names:
        if name not in BENCH_METHODS:
            raise UserError(
                f"unknown method '{excerpt(name)}'; choose from {', '.join(BENCH_METHODS)}"
            )
    runners, notes = {}, []
    if args.compare_model and not args.levers:
        raise UserError("--compare-model goes with --levers")
    if args.levers and "tree-diffusion" not in names:
        names.insert(0, "tree-diffusion")
    wanted = [m for m in dict.fromkeys(names) if m in METHODS and m not in BASELINE_METHODS]
    trained = None
    if wanted:
        try:
            trained = load_model(args.model, _mod(args), hint=explicit, language=_language(args))
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
            model = load_model(args.untrained_model, _mod(args), language=_language(args))
            runners[name] = make_runner("tree-diffusion", model)
        elif name == "autoregressive":
            path = args.ar_model or _default_ar_model()
            if path is None:
                if explicit:
                    raise UserError("method 'autoregressive' needs --ar-model PATH")
                notes.append("autoregressive: not run (no models/baseline_ar.onnx)")
                continue
            model = load_model(str(path), _mod(args), task="write")
            if model.task != "write":
                raise UserError(f"{path}: an edit model; 'autoregressive' needs a write model")
            runners[name] = make_runner(name, model)
        elif name in BASELINE_METHODS:
            runners[name] = make_runner(name)
        elif trained is not None:
            runners[name] = make_runner(name, trained)
    if args.levers:
        runners = _with_levers(args, runners, trained, config, runner_for)
    if not runners:
        raise UserError("no method to run")
    return runners, notes


def _with_levers(args, runners: dict, trained, config, runner_for) -> dict:
    """``runners`` with the shipped tree-diffusion search (and its hybrid) replaced by every
    lever variant of :mod:`inference.cli.bench_levers`, first."""
    from inference.cli.bench_levers import lever_runners

    if trained is None:
        raise UserError("--levers needs the policy model")
    if args.problem_language.name != "CSG2D":
        raise UserError("--levers is for CSG2D problems (the fit and the residual are CSG2D's)")
    compare = {
        Path(p).name: load_model(p, _mod(args), language=_language(args))
        for p in args.compare_model
    }
    levers = lever_runners(config, trained, runner_for, compare)
    rest = {
        k: v for k, v in runners.items() if k not in ("tree-diffusion", "tree-diffusion+refine")
    }
    return {**levers, **rest}


def _check_language(args, problems) -> None:
    """One language for the whole set (the ``--language`` given, if any), kept in
    ``args.problem_language``; for a language other than CSG2D only the methods that run on
    it: random mutations, the REPL-style search, and the policy's with ``--model`` of that
    language or, for TinySVG, the shipped ``models/policy_tinysvg.onnx`` (``untrained`` with
    ``--untrained-model``); those are then the default."""
    from inference.model.onnx_model import default_svg_model_path
    from inference.search.synthesize import GENERIC_METHODS, POLICY_METHODS_ANY_LANGUAGE

    languages = {pb.program.grammar for pb in problems}
    if len(languages) > 1:
        names = " and ".join(sorted(g.name for g in languages))
        raise UserError(f"{args.folder}: the problems mix {names} programs")
    grammar = languages.pop()
    args.problem_language = grammar
    if args.language is not None and grammar is not args.language:
        raise UserError(f"{args.folder}: {grammar.name} problems, not {args.language.name}")
    if grammar.name == "CSG2D":
        return
    shipped = grammar.name == "TinySVG" and default_svg_model_path().exists()
    allowed = list(GENERIC_METHODS)
    allowed += POLICY_METHODS_ANY_LANGUAGE if args.model or shipped else ()
    allowed += ["untrained"] if args.untrained_model else []
    if args.methods is None:
        args.methods = ",".join(allowed)
    other = [m.strip() for m in args.methods.split(",") if m.strip() not in allowed]
    if other:
        raise UserError(
            f"{', '.join(other)}: not for {grammar.name} problems, which take "
            f"{', '.join(allowed)} (tree-diffusion with a {grammar.name} policy, untrained "
            f"with --untrained-model of {grammar.name})"
        )


def _default_ar_model() -> Path | None:
    from inference.model.onnx_model import default_model_path

    path = default_model_path("filled").parent / "baseline_ar.onnx"
    return path if path.exists() else None


def _language(args):
    """The problems' language, once :func:`_check_language` has seen them."""
    return getattr(args, "problem_language", None)


def _mod(args) -> str:
    return "sketch" if args.sketch else "filled"


def cmd_bench(args: argparse.Namespace) -> int:
    """``bench``: every method on a problem folder; writes a table, records and a plot."""
    from inference.cli.bench import curve_budget, load_problems, run_bench, summarize
    from inference.files.images import ImageError
    from inference.search.synthesize import DEFAULT_BUDGET, UNLIMITED_CALLS

    folder = Path(args.folder)
    if args.sketch and args.drawn:
        raise UserError("choose one of --sketch and --drawn")
    if not args.drawn and (args.pen is not None or args.jitter != 1.0 or args.no_views):
        raise UserError("--pen, --jitter and --no-views go with --drawn")
    if args.pen is not None and not 0 <= args.pen <= 4 or not 0 <= args.jitter <= 4:
        raise UserError("--pen and --jitter take values from 0 to 4")
    if not (folder / "problems.jsonl").is_file():
        raise UserError(f"{args.folder}: no problems.jsonl there")
    try:
        problems = load_problems(
            folder,
            args.limit,
            args.sketch,
            args.seed,
            args.skip,
            drawn=args.drawn,
            pen=args.pen,
            jitter=args.jitter,
        )
    except ImageError as e:
        raise UserError(str(e)) from None
    except ValueError as e:  # a sketch or drawing of a TinySVG program
        raise UserError(str(e)) from None
    if not problems:
        raise UserError(f"{args.folder}: problems.jsonl holds no problems")
    _check_language(args, problems)
    runners, notes = _bench_methods(args)
    for note in notes:
        print(f"treesketch: note: {note}", file=sys.stderr)
    out = output_dir(args.output)
    status = Status(len(runners) * len(problems), "bench")
    counts: dict[str, int] = {}

    def progress(name, rec) -> None:
        counts[name] = counts.get(name, 0) + rec.solved
        counts[""] = counts.get("", 0) + 1
        status.step(counts[""], f"{name}: {counts[name]} solved")

    budget = args.budget or (UNLIMITED_CALLS if args.seconds else DEFAULT_BUDGET)
    records = run_bench(problems, runners, budget, args.seed, progress, seconds=args.seconds)
    summary = summarize(records, curve_budget(records, budget))
    settings = {
        "folder": str(folder),
        "language": args.problem_language.name,
        "problems": len(problems),
        "skip": args.skip,
        "budget": budget,
        "seconds": args.seconds,
        "seed": args.seed,
        "sketch": args.sketch,
        "drawn": args.drawn,
        "pen": args.pen,
        "jitter": args.jitter,
        "views": not args.no_views,
        "fit": not args.no_fit,
        "residual": args.residual,
        "rank": args.rank,
        "restarts": args.restarts,
        "levers": args.levers,
        "compare_models": args.compare_model,
        "methods": list(runners),
        "model": args.model,
        "untrained_model": args.untrained_model,
    }
    status.finish(f"benchmarked {len(runners)} methods on {len(problems)} problems")
    _write_and_show(out, summary, records, settings, notes)
    return 0


def cmd_bench_merge(args: argparse.Namespace) -> int:
    """``bench-merge``: slices of one bench run (``--skip``/``--limit``) as one run."""
    from inference.cli.bench import curve_budget, summarize
    from inference.cli.bench_merge import MergeError, merge_slices

    try:
        merged = merge_slices([Path(s) for s in args.slices])
    except MergeError as e:
        raise UserError(str(e)) from None
    out = output_dir(args.output)
    summary = summarize(merged.records, curve_budget(merged.records, merged.settings.get("budget")))
    _write_and_show(out, summary, merged.records, merged.settings, merged.notes)
    return 0


def _write_and_show(out: Path, summary: dict, records, settings: dict, notes) -> None:
    """Write a run's outputs to ``out`` and print its table; one-line errors."""
    from inference.cli.bench import write_outputs

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
