"""Merge benchmark slices into one run: ``python -m inference bench-merge OUT SLICE...``.

``bench --skip K --limit N`` runs a slice of a problem folder, and every problem keeps its
seed (``[seed, problem index]``), so slices run side by side add up to the records of one
run.  :func:`merge_slices` checks that the slices are of the same run (same folder,
language, budget, seed, methods, target kind and search options) and do not overlap, and
puts their records in the order one run writes them: method by method, problems in file
order.  The merged table, summary, records and plot are written as ``bench`` writes them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path

from inference.cli.bench import Record

SAME_SETTINGS = (
    "folder",
    "language",
    "budget",
    "seconds",
    "seed",
    "sketch",
    "drawn",
    "pen",
    "jitter",
    "views",
    "fit",
    "residual",
    "rank",
    "methods",
    "model",
    "untrained_model",
)
"""Settings every slice of one run must share (a key a slice lacks counts as ``None``)."""


class MergeError(ValueError):
    """The folders are not slices of one run, or one cannot be read."""


@dataclass(frozen=True)
class Merged:
    """Merged slices: the records in one run's order, its settings and its notes."""

    records: list[Record]
    settings: dict
    notes: list[str]


def _read_slice(folder: Path) -> tuple[dict, list[Record]]:
    try:
        data = json.loads((folder / "bench.json").read_text(encoding="utf-8"))
        lines = (folder / "records.jsonl").read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as e:
        name = Path(e.filename).name
        raise MergeError(f"{folder}: no {name} there (not a bench output)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MergeError(f"{folder}: cannot read the bench output ({e})") from None
    names = {f.name for f in fields(Record)}
    records = []
    for n, line in enumerate(lines, 1):
        try:
            raw = json.loads(line)
            records.append(Record(**{k: v for k, v in raw.items() if k in names}))
        except (json.JSONDecodeError, TypeError) as e:
            raise MergeError(f"{folder}/records.jsonl line {n}: not a bench record ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("settings"), dict):
        raise MergeError(f"{folder}/bench.json: no settings")
    return data, records


def merge_slices(folders: Sequence[Path]) -> Merged:
    """The records, settings and notes of the bench slices in ``folders`` as one run.

    Raises:
        MergeError: fewer than two folders, an unreadable one, slices of different runs
            (the first differing setting is named), or two slices with the same problem.
    """
    if len(folders) < 2:
        raise MergeError("give at least two bench output folders to merge")
    slices = [(Path(f), *_read_slice(Path(f))) for f in folders]
    first_dir, first, _ = slices[0]
    for folder, data, _ in slices[1:]:
        for key in SAME_SETTINGS:
            a, b = first["settings"].get(key), data["settings"].get(key)
            if a != b:
                raise MergeError(
                    f"{folder} is not a slice of the same run as {first_dir}: "
                    f"{key} is {json.dumps(b)} there, {json.dumps(a)} here"
                )
    slices.sort(key=lambda s: s[1]["settings"].get("skip") or 0)
    seen: dict[tuple[str, str], Path] = {}
    for folder, _, records in slices:
        for r in records:
            if (r.method, r.problem) in seen:
                raise MergeError(
                    f"{r.problem} ({r.method}) is in both {seen[r.method, r.problem]} and {folder}"
                )
            seen[r.method, r.problem] = folder
    methods = list(first["settings"].get("methods") or [])
    for _, _, records in slices:
        methods += [r.method for r in records if r.method not in methods]
    merged = [r for m in methods for _, _, records in slices for r in records if r.method == m]
    settings = dict(first["settings"])
    settings["problems"] = sum(int(d["settings"].get("problems") or 0) for _, d, _ in slices)
    settings["skip"] = slices[0][1]["settings"].get("skip") or 0
    settings["merged_from"] = [str(f) for f, _, _ in slices]
    notes = list(dict.fromkeys(n for _, d, _ in slices for n in d.get("notes") or []))
    return Merged(merged, settings, notes)
