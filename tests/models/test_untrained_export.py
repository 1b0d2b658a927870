"""The untrained baseline network (issue 17): ``models.export --untrained --like PATH`` writes
the same architecture, language and modality as a given export or checkpoint with fresh
weights from a seeded ``torch.Generator``, for TinySVG as for CSG2D, and
``models.evaluate.untrained_model`` makes the same network."""

import numpy as np
import pytest
import torch

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import to_text
from inference.model.decoding import sample_edits
from inference.model.onnx_model import PolicyModel
from inference.noise.random_programs import random_program
from inference.render import svg_scene
from models.evaluate import untrained_model
from models.export import example_inputs, export_model, main, untrained_network
from models.network import EditNet, NetConfig

TINY = NetConfig(d_model=32, n_layers=1, n_heads=2, cnn_channels=(8, 16))
SVG = TINY.for_language("TinySVG")


def _trained_like(cfg: NetConfig, seed: int) -> EditNet:
    """A stand-in for a trained network: its weights moved well away from any init."""
    net = EditNet(cfg).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.2 * torch.randn(p.shape, generator=g))
    return net


def _outputs(model: PolicyModel, cfg: NetConfig) -> list[np.ndarray]:
    images, tokens, feats, prefix = example_inputs(cfg, 2, 30, seed=5)
    return model.run({"images": images.numpy(), "tokens": tokens.numpy(),
                      "feats": feats.numpy(), "prefix_len": prefix.numpy()})  # fmt: skip


@pytest.fixture(scope="module")
def svg_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("untrained")
    trained = folder / "policy.onnx"
    export_model(_trained_like(SVG, 1), trained, modality="filled", training_examples=99,
                 dev_metrics={"acc": 0.5})  # fmt: skip
    untrained = folder / "untrained.onnx"
    assert main(["--untrained", "--like", str(trained), "-o", str(untrained), "--seed", "3"]) == 0
    return trained, untrained


def test_weights_come_from_the_seed_alone():
    state = torch.get_rng_state()
    torch.manual_seed(1)
    a = untrained_network(SVG, seed=4).state_dict()
    torch.manual_seed(2)
    b = untrained_network(SVG.to_dict(), seed=4).state_dict()
    c = untrained_network(SVG, seed=5).state_dict()
    assert a.keys() == b.keys() == c.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())
    # the global generator is neither used nor reseeded by the call
    torch.set_rng_state(state)
    untrained_network(SVG, seed=4)
    assert torch.equal(torch.get_rng_state(), state)


def test_weights_are_drawn_as_training_starts_them():
    torch.manual_seed(0)
    default = EditNet(SVG).state_dict()
    fresh = untrained_network(SVG, seed=7).state_dict()
    for name, want in default.items():
        got = fresh[name]
        assert got.shape == want.shape, name
        if bool((want == want.flatten()[0]).all()):  # zeros and ones: as constructed
            assert torch.equal(got, want), name
            continue
        if want.numel() < 64:  # a small conv bias: too few values to compare spreads
            assert float(got.abs().max()) <= float(want.abs().max()) * 2 + 1e-6, name
            continue
        ratio = float(got.std()) / float(want.std())
        assert 0.8 < ratio < 1.25, (name, ratio)
        assert abs(float(got.mean())) < 0.2 * float(want.std()) + 1e-3, name
        assert not torch.equal(got, want), name  # drawn afresh, not the global stream's


def test_untrained_tinysvg_export_loads_and_matches_its_model(svg_files):
    trained_path, path = svg_files
    model = PolicyModel.load(path, language=TINYSVG.name)
    trained = PolicyModel.load(trained_path, language=TINYSVG.name)
    assert model.language == "TinySVG" and model.image_planes == 9
    assert model.config == trained.config and model.modality == trained.modality == "filled"
    assert model.training_examples == 0 and model.dev_metrics == {}
    assert model.step is not None, model.step_status
    mine, theirs = _outputs(model, SVG), _outputs(trained, SVG)
    assert all(m.shape == t.shape for m, t in zip(mine, theirs, strict=True))
    assert max(float(np.max(np.abs(m - t))) for m, t in zip(mine, theirs, strict=True)) > 0.1
    # models.evaluate.untrained_model builds the same network the same way
    again = untrained_model(trained.config, "filled", seed=3)
    for m, a in zip(mine, _outputs(again, SVG), strict=True):
        assert np.array_equal(m, a)
    other = untrained_model(trained.config, "filled", seed=4)
    assert not np.array_equal(mine[0], _outputs(other, SVG)[0])


def test_untrained_tinysvg_export_proposes_valid_edits(svg_files):
    model = PolicyModel.load(svg_files[1], language="TinySVG")
    rng = np.random.default_rng(21)
    programs = [random_program(rng, (n, n), TINYSVG) for n in (1, 2, 3)]
    target = svg_scene.render(random_program(rng, (2, 2), TINYSVG), 224)
    proposals = sample_edits(model, target, programs, 5, np.random.default_rng(22))
    seen = 0
    for program, props in zip(programs, proposals, strict=True):
        for p in props:
            edited = p.edit.apply(program)
            assert edited.grammar is TINYSVG and parse_tinysvg(to_text(edited)) == edited
            seen += 1
    assert seen >= len(programs)


def test_untrained_csg2d_export_from_a_checkpoint(tmp_path):
    net = _trained_like(TINY, 2)
    ck = tmp_path / "weights.pt"
    torch.save({"config": TINY.to_dict(), "model": net.state_dict(),
                "args": {"modality": "mixed"}, "examples": 500}, ck)  # fmt: skip
    out = tmp_path / "untrained.onnx"
    assert main(["--untrained", "--like", str(ck), "-o", str(out)]) == 0
    model = PolicyModel.load(out, language="CSG2D")
    assert model.language == "CSG2D" and model.image_planes == 3
    assert model.modality == "both" and model.training_examples == 0
    assert NetConfig.from_dict(model.config) == TINY


def test_untrained_export_refuses_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        main(["--untrained", "-o", str(tmp_path / "u.onnx")])
    assert e.value.code == 2 and "--untrained takes --like PATH" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["-o", str(tmp_path / "u.onnx")])
    assert e.value.code == 2 and "give a checkpoint" in capsys.readouterr().err
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(SystemExit, match="junk.pt: not an ONNX export or a checkpoint"):
        main(["--untrained", "--like", str(junk), "-o", str(tmp_path / "u.onnx")])
    assert not (tmp_path / "u.onnx").exists()


def test_bench_compares_the_four_methods_on_tinysvg(svg_files, tmp_path, capsys):
    """Issue 17's comparison in one run: tree diffusion, random mutations, the REPL-style
    search and the untrained network on held-out TinySVG problems, with the Fig. 4 plot."""
    import json

    from PIL import Image

    from inference.benchmarks.drawing_problems import write_drawing_problems
    from inference.cli import commands as cli

    trained, untrained = svg_files
    write_drawing_problems(tmp_path / "set", 2, seed=91017)
    out = tmp_path / "out"
    code = cli.main([
        "bench", str(tmp_path / "set"), "--language", "tinysvg", "--budget", "80",
        "--model", str(trained), "--untrained-model", str(untrained), "-o", str(out),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (out / "records.jsonl").open()]
    methods = [
        "random", "random+refine", "repl", "tree-diffusion", "tree-diffusion+refine", "untrained"
    ]  # fmt: skip
    assert [r["method"] for r in records] == [m for m in methods for _ in range(2)]
    assert all(0 < r["calls"] <= 80 and r["program"].startswith("(") for r in records)
    data = json.loads((out / "bench.json").read_text())
    assert data["settings"]["language"] == "TinySVG" and list(data["methods"]) == methods
    assert all(len(m["curve"]) == len(data["budgets"]) for m in data["methods"].values())
    table = (out / "bench.md").read_text()
    assert all(f"| {m} |" in table for m in methods)
    with Image.open(out / "bench.png") as im:
        assert im.format == "PNG" and im.width > 400
    # the untrained network is not the trained one: their searches differ (from random
    # starts: at 80 calls, the fitted start is the best program of both)
    cli.main([
        "bench", str(tmp_path / "set"), "--language", "tinysvg", "--budget", "80", "--no-fit",
        "--methods", "tree-diffusion,untrained", "--model", str(trained),
        "--untrained-model", str(untrained), "-o", str(tmp_path / "cold"),
    ])  # fmt: skip
    cold = [json.loads(line) for line in (tmp_path / "cold" / "records.jsonl").open()]
    by = {(r["method"], r["problem"]): r["program"] for r in cold}
    assert any(by["tree-diffusion", p] != by["untrained", p] for p in ("drawing000", "drawing001"))
