"""Random TinySVG targets: the filter (ink, every primitive visible) and the counts."""

from collections import Counter

import numpy as np
import pytest

from inference.lang.grammar import TINYSVG
from inference.lang.tinysvg import arrange, ellipse, move, parse_tinysvg, rectangle
from inference.lang.tree import to_text
from inference.noise.random_programs import (
    TARGET_PRIMITIVES,
    passes_filter,
    random_program,
    random_subtree,
    random_target,
)
from inference.noise.svg_targets import (
    GOAL_MSD,
    MIN_INK,
    accept_drawing,
    all_paint,
    hidden_primitive,
    ink_fraction,
    is_clear_drawing,
)
from inference.render.svg_scene import render
from inference.targets import svg_score


def draw(program):
    return render(program, 64)


def test_goal_bar_is_the_goal_scores():
    a = np.full((64, 64, 3), 255, np.uint8)
    b = a.copy()
    b.reshape(-1)[:3] = 0  # mean squared difference 3/12288 ≈ 2.44e-4: under the bar
    assert svg_score.goal_reached(b, a) and 3 / a.size < GOAL_MSD
    b.reshape(-1)[:4] = 0  # 3.26e-4: over it
    assert not svg_score.goal_reached(b, a) and 4 / a.size > GOAL_MSD


def test_ink_counts_paint_but_not_white():
    blank = draw(rectangle(9, 9, "white"))
    assert ink_fraction(blank) == 0 and not is_clear_drawing(blank)
    square = draw(rectangle(9, 9, "yellow"))  # 54×54 px of 224²: 5.8 %
    assert 0.05 < ink_fraction(square) < 0.065 and is_clear_drawing(square)
    tiny = draw(rectangle(2, 2, "black"))  # 0.3 %
    assert ink_fraction(tiny) < MIN_INK and not is_clear_drawing(tiny)


@pytest.mark.parametrize(
    ("program", "hidden"),
    [
        (arrange("h", rectangle(6, 6, "red"), ellipse(6, 6, "blue"), 1), None),
        (arrange("h", rectangle(6, 6, "red"), ellipse(0, 6, "blue"), 1), 11),  # empty
        (arrange("h", rectangle(6, 6, "red"), ellipse(6, 6, "none", "blue", 0), 1), 11),
        (arrange("h", rectangle(6, 6, "red"), ellipse(6, 6, "white"), 1), 11),  # white on white
        (arrange("h", rectangle(6, 6, "red"), move(ellipse(6, 6, "blue"), 9, 0), 1), None),
        # covered by the later, larger square
        (arrange("h", move(rectangle(3, 3, "red"), 6, 0), rectangle(9, 9, "blue"), 0), 5),
        # moved off the canvas
        (
            arrange("h", rectangle(6, 6, "red"), move(move(ellipse(3, 3, "blue"), 9, 9), 9, 0), 1),
            15,
        ),
    ],
)
def test_hidden_primitives(program, hidden):
    image = draw(program)
    assert hidden_primitive(program, image, draw) == hidden
    assert accept_drawing(program, image, draw) == (hidden is None and is_clear_drawing(image))


def test_a_primitive_under_the_goal_bar_is_invisible():
    # A 1×1-unit yellow square changes only the blue channel of ~3 pixels at 64×64.
    faint = arrange("h", rectangle(6, 6, "red"), rectangle(1, 1, "yellow"), 2)
    assert hidden_primitive(faint, draw(faint), draw) == 11
    red = arrange("h", rectangle(6, 6, "red"), rectangle(1, 1, "red"), 2)
    assert hidden_primitive(red, draw(red), draw) is None


def test_random_targets_pass_the_filter_with_uniform_counts():
    assert TARGET_PRIMITIVES["TinySVG"] == (2, 5)
    rng = np.random.default_rng(0)
    counts = Counter()
    for _ in range(200):
        program, image = random_target(rng, draw, grammar=TINYSVG)
        assert program.grammar is TINYSVG and image.shape == (64, 64, 3)
        assert np.array_equal(image, draw(program))
        assert all_paint(program) and passes_filter(program, image, draw, TINYSVG)
        assert parse_tinysvg(to_text(program)) == program
        counts[program.sigma] += 1
    assert sorted(counts) == [2, 3, 4, 5]
    assert min(counts.values()) > 30  # 50 expected each


def test_random_target_keeps_an_explicit_range_and_gives_up():
    rng = np.random.default_rng(1)
    program, _ = random_target(rng, draw, (3, 3), grammar=TINYSVG)
    assert program.sigma == 3
    with pytest.raises(RuntimeError):
        random_target(
            rng, lambda p: np.full((64, 64, 3), 255, np.uint8), max_tries=5, grammar=TINYSVG
        )


def test_random_programs_and_subtrees_of_tinysvg():
    rng = np.random.default_rng(2)
    for _ in range(50):
        program = random_program(rng, (2, 5), TINYSVG)
        assert 2 <= program.sigma <= 5 and program.grammar is TINYSVG
    assert random_subtree(rng, "drawing", 3).sigma == 3
    assert random_subtree(rng, "colour", 0).nonterminal == "colour"
    with pytest.raises(ValueError):
        random_subtree(rng, "flag", 1)
    with pytest.raises(ValueError):
        random_subtree(rng, "nonsense", 0)
