"""models.heldout: two weights files judged on the same held-out examples."""

import json

import pytest

from models import heldout, train


def test_weights_are_compared_on_the_same_examples(tmp_path):
    out = tmp_path / "run"
    args = ["--preset", "smoke", "--out", str(out), "--workers", "0", "--search-problems", "0"]
    assert train.main([*args, "--examples", "40"]) == 0
    first = tmp_path / "first.pt"
    (out / "weights.pt").rename(first)
    assert train.main([*args, "--examples", "400"]) == 0  # trained on from the checkpoint
    rows_path = tmp_path / "rows.json"
    assert heldout.main([str(first), str(out / "weights.pt"), str(first), "--n", "32",
                         "--json", str(rows_path)]) == 0  # fmt: skip
    rows = json.loads(rows_path.read_text())
    assert [r["set"] for r in rows] == list(heldout.SETS) * 3
    for r in rows:
        assert 0.0 <= r["exact_acc"] <= r["pos_acc"] <= 1.0
    a, b, again = rows[:4], rows[4:8], rows[8:]
    # the same weights score the same on every set: the examples are fixed by the seed
    assert [r | {"weights": ""} for r in a] == [r | {"weights": ""} for r in again]
    # more training moves the held-out loss: the two files really were scored apart
    assert a[0]["ce"] != b[0]["ce"]


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="no such file"):
        heldout.main([str(tmp_path / "nothing.pt")])
