"""The autoregressive baseline's write_search passes its cancel to the decoder, as the tree
search does (issue 14): a cancel is heard before every network batch, not only between
batches of 64 programs, and the search still ends with its final event."""

import time
from pathlib import Path

import numpy as np
import pytest

from inference.lang.syntax import parse
from inference.model.onnx_model import PolicyModel
from inference.render.raster import render
from inference.search.autoregressive import write_search
from inference.targets.target import Target

MODEL = Path(__file__).resolve().parents[3] / "models" / "baseline_ar.onnx"


@pytest.fixture(scope="module")
def model():
    if not MODEL.is_file():
        pytest.skip("no shipped write model")
    return PolicyModel.load(MODEL, intra_op_threads=1, task="write")


@pytest.fixture
def target():
    return Target(render(parse("(+ (Circle 5 5 3) (Quad 9 9 4 6 45))"), 128))


def test_the_decoder_is_asked_and_stops_inside_a_batch(model, target):
    asked = []

    def cancel():
        asked.append(time.perf_counter())
        return len(asked) > 2  # the loop's own check, then the decoder's first, then stop

    events = list(write_search(target, model, np.random.default_rng(0), 1000, cancel))
    assert len(asked) == 3  # the decoder asked within the first batch and was heard there
    assert len(events) == 1 and events[0].finished and events[0].calls == 0


def test_a_cancel_ends_a_long_run_soon(model, target):
    t0 = time.perf_counter()
    stop_at = []

    def cancel():
        if time.perf_counter() - t0 > 0.5:
            stop_at.append(stop_at[0] if stop_at else time.perf_counter())
            return True
        return False

    events = list(write_search(target, model, np.random.default_rng(1), 1_000_000, cancel))
    stopped = time.perf_counter() - stop_at[0]
    print(f"stopped {stopped * 1000:.0f} ms after the cancel, {events[-1].calls} calls")
    assert events[-1].finished and not events[-1].solved
    assert stopped < 0.3, f"stopping took {stopped:.3f} s"


def test_without_a_cancel_the_search_is_as_before(model, target):
    events = list(write_search(target, model, np.random.default_rng(0), 60))
    again = list(write_search(target, model, np.random.default_rng(0), 60, lambda: False))
    assert [e.program for e in again] == [e.program for e in events]
    assert events[-1].finished and events[-1].calls <= 60
