"""The model contract names its language: a model for one language is refused for the other,
a model without the key is CSG2D, and a TinySVG model decodes valid TinySVG edits."""

import json

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.random_trees import random_tree
from inference.lang.tinysvg import arrange, ellipse, rectangle
from inference.lang.tree import circle, node_at, replace_at
from inference.model.decoding import evaluate_values, sample_edits, top_edits
from inference.model.model_contract import language_mismatch, model_language
from inference.model.onnx_model import ModelError, PolicyModel, default_model_path
from inference.model.tokens import CSG2D_VOCAB, TINYSVG_VOCAB
from inference.render.svg_scene import render
from tests.inference.model.svg_fake_policy import build_policy


@pytest.fixture(scope="module")
def svg_path(tmp_path_factory):
    return build_policy(tmp_path_factory.mktemp("svg") / "svg.onnx", TINYSVG_VOCAB)


@pytest.fixture(scope="module")
def svg_model(svg_path):
    return PolicyModel.load(svg_path, intra_op_threads=1)


def test_the_language_is_in_the_metadata(svg_model):
    assert svg_model.language == "TinySVG" and svg_model.vocabulary is TINYSVG_VOCAB
    assert svg_model.grammar is TINYSVG and svg_model.image_planes == 9
    assert model_language({}) == "CSG2D"
    assert language_mismatch("TinySVG", "tinysvg") is None


def test_a_model_without_the_key_is_csg2d(tmp_path):
    path = build_policy(tmp_path / "csg.onnx", CSG2D_VOCAB, metadata={"language": None})
    model = PolicyModel.load(path, intra_op_threads=1, language="CSG2D")
    assert model.language == "CSG2D" and model.image_planes == 3
    with pytest.raises(ModelError, match="this model is for CSG2D; the document is TinySVG"):
        PolicyModel.load(path, language="TinySVG")


def test_the_other_language_is_refused(svg_path):
    with pytest.raises(ModelError) as info:
        PolicyModel.load(svg_path, language="CSG2D")
    assert str(info.value) == "svg.onnx: this model is for TinySVG; the document is CSG2D"
    assert PolicyModel.load(svg_path, language="tinysvg").language == "TinySVG"


def test_the_shipped_model_is_csg2d():
    path = default_model_path()
    if not path.exists():
        pytest.skip("no shipped model")
    model = PolicyModel.load(path, intra_op_threads=1, language="CSG2D")
    assert model.language == "CSG2D" and model.image_planes == 3
    with pytest.raises(ModelError, match="this model is for CSG2D; the document is TinySVG"):
        model.check_language(rectangle(1, 1, "red"))


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"language": "Logo"}, "unknown language 'Logo'"),
        ({"grammar_version": "csg2d-tokens-1"}, "grammar version is 'csg2d-tokens-1'"),
        ({"vocab": json.dumps(list(CSG2D_VOCAB.tokens))}, "vocabulary has 193 tokens"),
        ({"image_planes": "3"}, "image planes are '3', a TinySVG model reads 9"),
    ],
)
def test_inconsistent_metadata_is_refused(tmp_path, override, message):
    path = build_policy(tmp_path / "bad.onnx", TINYSVG_VOCAB, metadata=override)
    with pytest.raises(ModelError, match=message):
        PolicyModel.load(path)


def test_decoding_refuses_programs_of_the_other_language(svg_model):
    target = np.ones((64, 64, 3))
    with pytest.raises(ModelError, match="this model is for TinySVG; the document is CSG2D"):
        sample_edits(svg_model, target, [circle(3, 8, 8)], 2, np.random.default_rng(0))


def test_a_tinysvg_model_proposes_valid_edits(svg_model):
    rng = np.random.default_rng(4)
    target = render(arrange("v", rectangle(5, 3, "red"), ellipse(4, 4, "blue"), 1), 224)
    programs = [random_tree(TINYSVG, rng, int(rng.integers(1, 5))) for _ in range(4)]
    rows = sample_edits(svg_model, target, programs, 6, rng)
    assert len(rows) == 4
    for program, proposals in zip(programs, rows, strict=True):
        assert proposals
        for p in proposals:
            slot = node_at(program, p.edit.pos)
            assert p.edit.replacement.nonterminal == slot.nonterminal
            assert p.edit.replacement != slot
            assert p.edit.replacement.size <= TINYSVG_VOCAB.max_replacement_tokens
            edited = replace_at(program, p.edit.pos, p.edit.replacement)
            assert TINYSVG_VOCAB.decode_program(TINYSVG_VOCAB.encode_program(edited)) == edited
            assert np.isfinite(p.logprob) and p.logprob <= 0
    best = top_edits(svg_model, target, programs[0], 3)
    assert 1 <= len(best) <= 3 and best[0].logprob >= best[-1].logprob
    prefix = evaluate_values(svg_model, target, programs)
    assert prefix.values.shape == (4,)
    for lp, program in zip(prefix.pos_logprobs, programs, strict=True):
        assert lp.shape == (program.size,)
        assert np.isclose(np.exp(lp[np.isfinite(lp)]).sum(), 1.0, atol=1e-6)
