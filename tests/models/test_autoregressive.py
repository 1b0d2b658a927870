"""The autoregressive baseline: write-task examples, training, and rejection sampling."""

import numpy as np
import pytest

from inference.cli.commands import main as cli_main
from inference.lang.syntax import parse
from inference.model.grammar_constraint import EditConstraint
from inference.model.onnx_model import PolicyModel
from inference.model.tokens import MAX_TOKENS, POS_BASE, encode_edit
from inference.noise.training_examples import WRITE_START, write_example
from inference.render.raster import render
from inference.search.autoregressive import write_search
from inference.targets.target import Target
from models import train
from models.data import DataConfig, draw_example, make_loader
from models.export import export_model
from models.network import EditNet, NetConfig


def test_write_examples_replace_the_fixed_start_with_the_whole_target():
    rng = np.random.default_rng(4)
    for _ in range(20):
        ex = write_example(rng, render, 64, (2, 8))
        assert ex.current == WRITE_START and ex.edit.pos == 0 and ex.edit.replacement == ex.target
        assert np.array_equal(ex.target_image, render(ex.target, 64))
        # the decoder's constraint for whole programs allows every token of the label
        state = EditConstraint(WRITE_START, max_replacement_tokens=MAX_TOKENS).start()
        for token in encode_edit(0, ex.target):
            assert state.mask()[token]
            state.advance(int(token))
        assert state.done


def test_write_batches_put_the_loss_on_the_whole_program():
    config = DataConfig(seed=2, batch_size=4, task="write").for_stage(2)
    batch = next(iter(make_loader(config, 0)))
    rng = np.random.default_rng([2, 2, 0, 0])
    examples = [draw_example(rng, config) for _ in range(4)]
    labelled = (batch["targets"] >= 0).sum(axis=1).tolist()
    assert labelled == [ex.target.size + 2 for ex in examples]  # <POS 0>, program, <EOS>
    first = batch["targets"][np.arange(4), (batch["targets"] >= 0).int().argmax(axis=1)]
    assert (first == POS_BASE).all()  # every edit starts at the root


@pytest.fixture(scope="module")
def write_model(tmp_path_factory):
    out = tmp_path_factory.mktemp("write")
    args = ["--preset", "smoke", "--task", "write", "--out", str(out), "--workers", "0"]
    assert train.main([*args, "--search-problems", "0"]) == 0
    return out / "policy.onnx"


def test_write_search_samples_distinct_programs_within_the_budget(write_model):
    model = PolicyModel.load(write_model, task="write")
    assert model.task == "write"
    target = Target(render(parse("(+ (Circle 5 5 3) (Quad 9 9 4 6 45))"), 128))
    events = list(write_search(target, model, np.random.default_rng(0), 60))
    assert events[-1].finished and events[-1].calls <= 60
    scores = [e.score for e in events[:-1]]
    assert scores == sorted(scores) and len(set(scores)) == len(scores)  # each a new best
    again = list(write_search(target, model, np.random.default_rng(0), 60))
    assert [e.program for e in again] == [e.program for e in events]  # seeded


def test_the_baseline_refuses_an_edit_model(write_model, tmp_path, capsys):
    edit_model = PolicyModel.load(write_model, task="write")
    edit_model.task = "edit"
    target = Target(render(parse("(Circle 5 5 3)"), 128))
    with pytest.raises(ValueError, match="write model"):
        next(write_search(target, edit_model, np.random.default_rng(0), 10))
    edit_file = tmp_path / "edit.onnx"
    net = EditNet(NetConfig(d_model=32, n_layers=1, n_heads=2, cnn_channels=(8, 16)))
    export_model(net, edit_file, modality="filled", training_examples=0, dev_metrics={})
    code = cli_main(["bench", "tests/data/refset-dev", "--limit", "1", "--budget", "10",
                     "--methods", "autoregressive", "--ar-model", str(edit_file),
                     "-o", str(tmp_path / "out")])  # fmt: skip
    assert code == 2
    assert "needs a write model" in capsys.readouterr().err
