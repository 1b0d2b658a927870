"""Time and memory of reading the largest inputs, accepted or refused (issue 14).

    python -m inference.benchmarks.input_limits_bench

Every program input up to the 16 MB file cap must be parsed or refused within 2 s and
200 MB.  This prints, for each of the largest inputs the limits allow or refuse
(``inference.lang.syntax.MAX_DEPTH`` and ``MAX_PRIMITIVES``, ``inference.files.fileio``'s caps on
files, JSON and problem sets), the seconds it takes (best of a few runs) and the peak
memory Python allocates while it runs (``tracemalloc``, the input text itself not
counted), with what the reader said.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from inference.files.fileio import (
    MAX_INPUT_BYTES,
    MAX_PROBLEMS,
    ProgramFileError,
    read_problems,
    read_program,
)
from inference.lang.syntax import MAX_PRIMITIVES, ParseError, parse, to_text
from inference.lang.tree import Node, binop, circle, quad

FILE_BYTES = 15 * 2**20
"""Size of the large made-up inputs: under the cap, as in the issue."""


def balanced_program(primitives: int) -> Node:
    """A program of ``primitives`` primitives (circles and quads) in a balanced tree."""
    nodes = [
        circle(1 + i % 7, i % 16, (3 * i) % 16) if i % 2 else quad(i % 16, 2, 3, 4, 45 * (i % 8))
        for i in range(primitives)
    ]
    while len(nodes) > 1:
        half = len(nodes) // 2
        pairs = [binop("+-"[k % 2], nodes[2 * k], nodes[2 * k + 1]) for k in range(half)]
        nodes = pairs + nodes[2 * half :]
    return nodes[0]


def program_texts() -> dict[str, str]:
    """Program texts, each parsed or refused by ``parse``."""
    line = "(Circle 1 1 1)\n"
    largest = to_text(balanced_program(MAX_PRIMITIVES))
    return {
        "'(+ ' * 5,000,000 (nested too deeply)": "(+ " * (FILE_BYTES // 3),
        "15 MB of '(Circle 1 1 1)' lines": line * (FILE_BYTES // len(line)),
        "one 15 MB token": "x" * FILE_BYTES,
        "15 MB of 'C' (no token a compact letter)": "C" * FILE_BYTES,
        f"{MAX_PRIMITIVES} primitives (the largest program)": largest,
        "the largest program padded to 15 MB": largest + " " * (FILE_BYTES - len(largest)),
        f"{MAX_PRIMITIVES + 1} primitives": to_text(balanced_program(MAX_PRIMITIVES + 1)),
    }


def file_inputs() -> dict[str, tuple[str, str]]:
    """``label → (file name, content)`` read by ``read_program`` or ``read_problems``."""
    record = json.dumps({"id": "p0000", "program": "(Circle 1 1 1)"})
    eight = to_text(balanced_program(8))
    largest_set = "\n".join(
        json.dumps({"id": f"p{i:04d}", "program": eight}) for i in range(MAX_PROBLEMS)
    )
    deep = "[" * 100_000 + "]" * 100_000
    return {
        "program .json holding '(+ ' * 5,000,000": (
            "deep.json",
            json.dumps({"format": "treesketch-csg2d", "version": 1, "program": "(+ " * 5_000_000}),
        ),
        ".json of '[' * 100,000 + ']' * 100,000": ("nested.json", deep),
        ".json with a 5,000-digit version": ("digits.json", '{"version": ' + "9" * 5000 + "}"),
        ".json of 15 MB of '[{},{},...]'": ("values.json", "[" + "{}," * (FILE_BYTES // 3) + "{}]"),
        "problems.jsonl with a deep line": ("deep.jsonl", record + "\n" + deep + "\n"),
        f"problems.jsonl of {MAX_PROBLEMS} 8-primitive problems (the largest set)": (
            "largest.jsonl",
            largest_set,
        ),
        "15 MB problems.jsonl of 1-primitive problems": ("many.jsonl", _many_problems()),
    }


def _many_problems() -> str:
    """About :data:`FILE_BYTES` of one-primitive problems with distinct ids."""
    lines, size, i = [], 0, 0
    while size < FILE_BYTES - 100:
        lines.append(json.dumps({"id": f"p{i}", "program": "(Circle 1 1 1)"}))
        size += len(lines[-1]) + 1
        i += 1
    return "\n".join(lines)


def measure(run: Callable[[], object], repeats: int = 3) -> tuple[float, int, str]:
    """``(best seconds, peak bytes, outcome)`` of ``run()``; outcome is the error if any."""
    outcome = "accepted"
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        try:
            run()
        except (ParseError, ProgramFileError) as e:
            outcome = str(e)
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    try:
        run()
    except (ParseError, ProgramFileError):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak, outcome


def main(argv: list[str] | None = None) -> int:
    """Print one line per input: seconds, peak MB, size and what the reader said."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per input (best kept)")
    args = ap.parse_args(argv)
    print(f"{'seconds':>8} {'peak MB':>8} {'MB in':>6}  input: outcome")
    for label, text in program_texts().items():
        _report(label, len(text), measure(lambda t=text: parse(t), args.repeats))
    with tempfile.TemporaryDirectory() as folder:
        for label, (name, content) in file_inputs().items():
            path = Path(folder) / name
            path.write_text(content, encoding="utf-8")
            assert path.stat().st_size <= MAX_INPUT_BYTES, label
            reader = read_problems if name.endswith(".jsonl") else read_program
            seconds, peak, outcome = measure(lambda p=path, r=reader: r(p), args.repeats)
            outcome = outcome.replace(str(path), name)
            _report(label, len(content), (seconds, peak, outcome))
    return 0


def _report(label: str, size: int, result: tuple[float, int, str]) -> None:
    seconds, peak, outcome = result
    print(f"{seconds:8.3f} {peak / 2**20:8.1f} {size / 2**20:6.1f}  {label}: {outcome[:100]}")


if __name__ == "__main__":
    raise SystemExit(main())
