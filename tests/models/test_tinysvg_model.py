"""The torch side for TinySVG (issue 17): its network, its training data, and an export that
the runtime loads and decodes into valid TinySVG edits.  CSG2D's networks are unchanged."""

import numpy as np
import pytest
import torch

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import parse_tinysvg
from inference.lang.tree import to_text
from inference.model.decoding import sample_edits
from inference.model.onnx_model import ModelError, PolicyModel
from inference.model.tokens import CSG2D_VOCAB, MAX_SEQUENCE, TINYSVG_VOCAB
from inference.noise.random_programs import random_program
from inference.render import svg_scene
from models.data import (
    CURRICULA,
    SVG_CURRICULUM,
    DataConfig,
    draw_example,
    make_loader,
    replacement_limit,
)
from models.export import example_inputs, export_model
from models.network import EditNet, NetConfig, edit_loss

TINY = NetConfig(d_model=32, n_layers=1, n_heads=2, cnn_channels=(8, 16))


def tiny_svg_net(seed: int) -> EditNet:
    """A tiny TinySVG network, its weights perturbed by a seeded generator (no global seed)."""
    net = EditNet(TINY.for_language("tinysvg")).eval()
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    return net


def test_network_shapes_follow_the_language():
    svg = TINY.for_language("TinySVG")
    assert svg.language == "TinySVG" and svg.max_seq == TINYSVG_VOCAB.max_sequence
    assert svg.image_planes == 9 and TINY.image_planes == 3
    assert TINY.language == "CSG2D" and TINY.max_seq == MAX_SEQUENCE
    assert TINY.for_language("csg2d") is TINY
    net = EditNet(svg)
    assert net.image.conv[0].in_channels == 9
    assert net.tok.num_embeddings == net.head.out_features == TINYSVG_VOCAB.pos_base
    csg = EditNet(TINY)
    assert csg.image.conv[0].in_channels == 3
    assert csg.tok.num_embeddings == csg.head.out_features == CSG2D_VOCAB.pos_base
    # a config saved before issue 17 (no language) is CSG2D's
    old = {k: v for k, v in TINY.to_dict().items() if k != "language"}
    assert NetConfig.from_dict(old) == TINY
    assert NetConfig.from_dict(svg.to_dict()) == svg


def test_shipped_csg2d_weights_still_load():
    ck = torch.load("models/policy.weights.pt", map_location="cpu", weights_only=False)
    assert "language" not in ck["config"]
    net = EditNet(NetConfig.from_dict(ck["config"]))
    net.load_state_dict(ck["model"])  # strict: the same names and shapes
    assert net.cfg.language == "CSG2D"


def test_tinysvg_data_config():
    cfg = DataConfig(language="tinysvg")
    assert cfg.language == "TinySVG" and CURRICULA["TinySVG"] is SVG_CURRICULUM
    last = SVG_CURRICULUM[-1]
    assert (cfg.target_primitives, cfg.start_primitives) == (last.target_primitives,
                                                              last.start_primitives)  # fmt: skip
    assert cfg == cfg.for_stage(len(SVG_CURRICULUM) - 1)
    assert cfg.for_stage(0).target_primitives == SVG_CURRICULUM[0].target_primitives
    assert replacement_limit(cfg) == TINYSVG_VOCAB.max_replacement_tokens
    for bad in ({"modality": "sketch"}, {"task": "write"}, {"parts_fraction": 0.5},
                {"drawn_fraction": 0.5}):  # fmt: skip
        with pytest.raises(ValueError, match="filled targets"):
            DataConfig(language="TinySVG", **bad)
    with pytest.raises(KeyError):
        DataConfig(language="SVG3D")


def test_tinysvg_examples_and_batches():
    cfg = DataConfig(seed=4, batch_size=4, language="TinySVG").for_stage(0)
    rng = np.random.default_rng(4)
    ex = draw_example(rng, cfg)
    assert ex.current.grammar is TINYSVG and ex.target_image.shape == (64, 64, 3)
    assert np.array_equal(ex.target_image, svg_scene.render(ex.target, 64))
    assert np.array_equal(ex.current_image, svg_scene.render(ex.current, 64))
    assert ex.current.size <= TINYSVG_VOCAB.max_tokens
    again = draw_example(np.random.default_rng(4), cfg)
    assert to_text(again.current) == to_text(ex.current) and again.edit == ex.edit
    loader = iter(make_loader(cfg, 0))
    batch = next(loader)
    assert batch["images"].shape == (4, 9, 64, 64)
    B, T = batch["tokens"].shape
    assert batch["allowed"].shape == (B, T, TINYSVG_VOCAB.pos_base + T)
    # the loss runs on a TinySVG network, and its pointer columns start at TinySVG's POS_BASE
    net = EditNet(TINY.for_language("TinySVG"))
    out = net(batch["images"], batch["tokens"], batch["feats"], batch["prefix_len"])
    assert out[0].shape == (B, T, TINYSVG_VOCAB.pos_base) and out[1].shape == (B, T, T)
    loss, ce, mse, stats = edit_loss(*out, batch["targets"], batch["value_targets"],
                                     batch["allowed"])  # fmt: skip
    assert torch.isfinite(loss) and 0.0 <= stats["pos_acc"] <= 1.0
    loss.backward()


@pytest.fixture(scope="module")
def svg_policy(tmp_path_factory):
    path = tmp_path_factory.mktemp("svg") / "policy.onnx"
    export_model(tiny_svg_net(0), path, modality="filled", training_examples=7, dev_metrics={})
    return path


def test_exported_tinysvg_model_loads_with_its_metadata(svg_policy):
    model = PolicyModel.load(svg_policy, language=TINYSVG.name)
    assert model.language == "TinySVG" and model.image_planes == 9
    assert model.vocabulary is TINYSVG_VOCAB and model.training_examples == 7
    assert model.config["language"] == "TinySVG"
    assert model.step is not None, model.step_status  # its step graph decodes from the cache
    with pytest.raises(ModelError, match="this model is for TinySVG; the document is CSG2D"):
        PolicyModel.load(svg_policy, language="CSG2D")


def test_exported_tinysvg_model_matches_torch(tmp_path):
    net = tiny_svg_net(1)
    path = tmp_path / "full.onnx"
    export_model(net, path, modality="filled", training_examples=0, dev_metrics={},
                 half_weights=False)  # fmt: skip
    model = PolicyModel.load(path)
    images, tokens, feats, prefix = example_inputs(net.cfg, 3, 40, seed=2)
    assert images.shape[1] == 9 and int(tokens.max()) >= TINYSVG_VOCAB.pos_base
    with torch.no_grad():
        want = [t.numpy() for t in net(images, tokens, feats, prefix)]
    got = model.run({"images": images.numpy(), "tokens": tokens.numpy(),
                     "feats": feats.numpy(), "prefix_len": prefix.numpy()})  # fmt: skip
    for w, g in zip(want, got, strict=True):
        assert w.shape == g.shape and np.max(np.abs(w - g)) <= 1e-4


def test_exported_tinysvg_model_proposes_valid_edits(svg_policy):
    model = PolicyModel.load(svg_policy, language="TinySVG")
    rng = np.random.default_rng(11)
    programs = [random_program(rng, (n, n), TINYSVG) for n in (1, 2, 3, 4)]
    target = svg_scene.render(random_program(rng, (3, 3), TINYSVG), 224)
    proposals = sample_edits(model, target, programs, 6, np.random.default_rng(12))
    assert len(proposals) == len(programs)
    seen = 0
    for program, props in zip(programs, proposals, strict=True):
        for p in props:
            edited = p.edit.apply(program)
            assert edited.grammar is TINYSVG
            assert parse_tinysvg(to_text(edited)) == edited
            assert p.edit.replacement.size <= TINYSVG_VOCAB.max_replacement_tokens
            seen += 1
    assert seen >= len(programs)


def test_bench_and_synthesize_run_a_tinysvg_policy(svg_policy, tmp_path, capsys):
    """The policy methods take a TinySVG model on TinySVG problems (issue 17): the search
    calls it, and the CSG2D model is refused for them in one line."""
    import json

    from inference.benchmarks.drawing_problems import write_drawing_problems
    from inference.cli import commands as cli

    write_drawing_problems(tmp_path / "set", 2, seed=9)
    code = cli.main([
        "bench", str(tmp_path / "set"), "--budget", "60", "--model", str(svg_policy),
        "--untrained-model", str(svg_policy), "-o", str(tmp_path / "out"),
    ])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (tmp_path / "out" / "records.jsonl").open()]
    methods = sorted({r["method"] for r in records})
    assert methods == [
        "random", "random+refine", "repl", "tree-diffusion", "tree-diffusion+refine", "untrained"
    ]  # fmt: skip
    assert all(r["calls"] <= 60 and r["program"].startswith("(") for r in records)
    code = cli.main([
        "synthesize", str(tmp_path / "set" / "drawing000.png"), "--language", "tinysvg",
        "--model", str(svg_policy), "--budget", "40", "--json",
    ])  # fmt: skip
    assert code == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["method"] == "tree-diffusion" and record["calls"] <= 40
    code = cli.main(["bench", str(tmp_path / "set"), "--methods", "tree-diffusion",
                     "--model", "models/policy.onnx"])  # fmt: skip
    assert code == 2 and "this model is for CSG2D" in capsys.readouterr().err
