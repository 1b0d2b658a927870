"""Golden tests of TinySVG's layout and raster (docs/TINYSVG.md).

Programs are built from a tiny duck-typed node (``kind``, ``children``, ``value``),
the protocol :func:`layout` reads.  At 224×224 every box edge is a whole pixel, so
most expectations are exact pixel rectangles worked out by hand in the comments.
"""

import dataclasses
import hashlib
import math

import numpy as np
import pytest

from inference.render.svg_scene import (
    CANVAS,
    COLOURS,
    UNIT,
    Placed,
    layout,
    render,
    render_scene,
)

WHITE, RED, BLUE, BLACK = (255, 255, 255), (255, 0, 0), (0, 0, 255), (0, 0, 0)


class N:
    """A minimal tree node with the protocol layout() reads."""

    def __init__(self, kind, children=(), value=None):
        self.kind, self.children, self.value = kind, tuple(children), value


def leaf(value):
    return N("leaf", value=value)


def rect(w, h, fill="red", stroke="none", sw=0):
    return N("Rectangle", [leaf(v) for v in (w, h, fill, stroke, sw)])


def ellipse(w, h, fill="red", stroke="none", sw=0):
    return N("Ellipse", [leaf(v) for v in (w, h, fill, stroke, sw)])


def arrange(direction, a, b, gap):
    return N("Arrange", [leaf(direction), a, b, leaf(gap)])


def move(child, x, y, negx=False, negy=False):
    return N("Move", [child, leaf(x), leaf(y), leaf(negx), leaf(negy)])


def painted(img, colour):
    """Bool mask of the pixels exactly of ``colour``."""
    return np.all(img == np.array(colour, dtype=np.uint8), axis=-1)


def assert_only_box(img, colour, rows, cols):
    """``colour`` exactly on the pixel rectangle rows × cols, white elsewhere."""
    expected = np.zeros(img.shape[:2], dtype=bool)
    expected[rows[0] : rows[1], cols[0] : cols[1]] = True
    assert np.array_equal(painted(img, colour), expected)
    assert painted(img, WHITE).sum() == img.shape[0] * img.shape[1] - expected.sum()


# ----- palette and layout ------------------------------------------------------


def test_palette_is_the_css_named_colours():
    assert COLOURS == {
        "red": (255, 0, 0),
        "green": (0, 128, 0),
        "blue": (0, 0, 255),
        "yellow": (255, 255, 0),
        "purple": (128, 0, 128),
        "orange": (255, 165, 0),
        "black": (0, 0, 0),
        "white": (255, 255, 255),
        "none": None,
    }
    assert (CANVAS, UNIT) == (224, 6)


def test_layout_of_an_arrangement():
    # W = 18 + 6 + 12 = 36, H = 24: origin (112 - 18, 112 - 12) = (94, 100);
    # the ellipse (H 12) is centred across: y = 100 + 6.
    program = arrange("h", rect(3, 4, "red"), ellipse(2, 2, "blue", "black", 3), 1)
    assert layout(program) == [
        Placed("rect", 94.0, 100.0, 112.0, 124.0, "red", "none", 0.0),
        Placed("ellipse", 118.0, 106.0, 130.0, 118.0, "blue", "black", 1.5),
    ]


def test_layout_lists_primitives_in_painters_order_zero_sized_too():
    program = arrange("v", arrange("h", rect(0, 2), ellipse(1, 1), 0), move(rect(2, 0), 1, 1), 0)
    assert [(p.kind, p.x1 - p.x0, p.y1 - p.y0) for p in layout(program)] == [
        ("rect", 0, 12),
        ("ellipse", 6, 6),
        ("rect", 12, 0),
    ]


def test_layout_accepts_true_false_text_for_flags():
    assert layout(move(rect(1, 1), 2, 3, "true", "false")) == layout(move(rect(1, 1), 2, 3, True))


@pytest.mark.parametrize(
    "program",
    [
        N("Circle", [leaf(1), leaf(2), leaf(3)]),
        rect(1, 1, "pink"),
        rect(1, 1, "red", "grey", 2),
        arrange("d", rect(1, 1), rect(1, 1), 0),
        move(rect(1, 1), 1, 1, "yes"),
    ],
)
def test_layout_refuses_what_is_not_tinysvg(program):
    with pytest.raises(ValueError):
        layout(program)


def test_deep_programs_need_no_recursion():
    program = rect(1, 1, "blue")
    for k in range(3000):
        program = move(program, 1, 0, negx=k % 2 == 1)
        program = arrange("v", program, rect(0, 0), 0)
    placed = layout(program)
    assert len(placed) == 3001
    # 3000 moves alternating +6, -6 cancel; every arrange adds no size.
    assert placed[0] == Placed("rect", 109.0, 109.0, 115.0, 115.0, "blue", "none", 0.0)


# ----- raster: boxes, ellipses, strokes ----------------------------------------


def test_rectangle_is_centred_and_exact():
    # 3×4 units = 18×24 px centred on (112, 112): x 103..121, y 100..124.
    assert_only_box(render(rect(3, 4, "red")), RED, (100, 124), (103, 121))


def test_ellipse_is_inscribed_with_area_coverage_at_its_edge():
    img = render(ellipse(2, 2, "blue"))  # the disc of radius 6 about (112, 112)
    assert img[112, 112].tolist() == list(BLUE)
    assert img[111, 106].tolist() == list(BLUE)  # leftmost row of the disc: samples 106.125..
    assert img[111, 105].tolist() == list(WHITE)
    assert img[106, 106].tolist() == list(WHITE)  # box corner, outside the disc
    # 13 of the 16 samples of pixel (108, 116) are inside: 255·3/16 = 47.8 → 48.
    assert img[108, 116].tolist() == [48, 48, 255]
    inside = [
        (116 + (m + 0.5) / 4 - 112) ** 2 + (108 + (n + 0.5) / 4 - 112) ** 2 <= 36
        for m in range(4)
        for n in range(4)
    ]
    assert sum(inside) == 13
    assert np.array_equal(img, img[:, ::-1]) and np.array_equal(img, img.transpose(1, 0, 2))


def test_wide_ellipse_reaches_its_box_sides_only_at_mid_height():
    img = render(ellipse(4, 2, "black"))[..., 0]  # box x 100..124, y 106..118; a 12, b 6
    # Pixel (111, 100): all samples but (100.125, 111.125) inside → 255/16 = 15.9 → 16.
    assert img[110:114, 99:102].tolist() == [[255, 96, 0], [255, 16, 0], [255, 16, 0], [255, 96, 0]]
    assert img[105:107, 110:114].tolist() == [[255] * 4, [0] * 4]
    assert img[106, 100] == 255 and img[117, 123] == 255  # box corners
    assert (img[:, :100] == 255).all() and (img[:106] == 255).all()


def test_stroke_is_centred_on_the_edge_with_width_sw_over_two():
    # sw 4 → 2 px: the band 99..101 outside-in, so columns 99 and 100 black, 101 white.
    img = render(rect(4, 4, "none", "black", 4))  # box 100..124
    row = img[112, :, 0]
    assert row[97:104].tolist() == [255, 255, 0, 0, 255, 255, 255]
    assert row[121:127].tolist() == [255, 255, 0, 0, 255, 255]
    assert img[99, 99].tolist() == list(BLACK)  # square (mitred) outer corner
    assert painted(img, BLACK).sum() == 26 * 26 - 22 * 22


def test_thin_strokes_are_anti_aliased():
    # sw 2 → 1 px, band 99.5..100.5: half of columns 99 and 100 → 127.5 → 128 (halves up).
    row = render(rect(4, 4, "none", "black", 2))[112, :, 0]
    assert row[98:102].tolist() == [255, 128, 128, 255]
    # sw 1 → 0.5 px, band 99.75..100.25: one sample column in each → 255·3/4 = 191.25.
    row = render(rect(4, 4, "none", "black", 1))[112, :, 0]
    assert row[98:102].tolist() == [255, 191, 191, 255]


def test_stroke_paints_over_the_fill():
    img = render(rect(4, 4, "red", "blue", 4))
    assert img[112, 100].tolist() == list(BLUE)  # inner half of the stroke
    assert img[112, 101].tolist() == list(RED)
    assert img[112, 99].tolist() == list(BLUE)  # outer half, outside the box


def test_ellipse_stroke_is_the_band_between_grown_and_shrunk_ellipses():
    img = render(ellipse(4, 4, "none", "black", 4))  # r 12 about (112, 112), band 11..13
    row = img[112, :, 0]  # samples of the centre row are 0.125..0.875 below the centre
    assert row[98:102].tolist() == [255, 0, 0, 255]
    assert row[122:126].tolist() == [255, 0, 0, 255]
    assert img[112, 112].tolist() == list(WHITE)


def test_a_stroke_wider_than_the_shape_covers_it_whole():
    # A 2-px box with a 4-px stroke: the inner shape (shrunk by 2) is empty.
    rect_ = Placed("rect", 110, 110, 112, 112, "red", "blue", 4.0)
    assert_only_box(render_scene([rect_]), BLUE, (108, 114), (108, 114))
    disc = Placed("ellipse", 110, 110, 112, 112, "red", "blue", 4.0)  # radius 1 + 2
    img = render_scene([disc])
    assert not painted(img, RED).any() and painted(img, BLUE)[109:113, 109:113].all()
    for size in (224, 64):
        assert np.array_equal(render_scene([disc], size), reference_render([disc], size))


def test_none_paints_nothing():
    assert painted(render(rect(3, 3, "none", "none", 9)), WHITE).all()
    assert painted(render(ellipse(3, 3, "none", "red", 0)), WHITE).all()


def test_zero_sizes_paint_nothing_but_take_their_place():
    assert painted(render(rect(0, 3, "red", "black", 9)), WHITE).all()
    assert painted(render(ellipse(3, 0, "red", "black", 9)), WHITE).all()
    # W = 0 + 6 + 12 = 18, H = 18: origin (103, 103); blue at x 109, y 103 + 3.
    img = render(arrange("h", rect(0, 3, "red", "black", 4), rect(2, 2, "blue"), 1))
    assert_only_box(img, BLUE, (106, 118), (109, 121))


# ----- raster: arrangement, moves, clipping, size ------------------------------


def test_arrange_h_puts_children_side_by_side_gap_apart_centred_across():
    # W = 12 + 6 + 18 = 36, H = 24, origin (94, 100).
    img = render(arrange("h", rect(2, 2, "red"), rect(3, 4, "blue"), 1))
    expected_red = np.zeros((224, 224), bool)
    expected_red[106:118, 94:106] = True
    expected_blue = np.zeros((224, 224), bool)
    expected_blue[100:124, 112:130] = True
    assert np.array_equal(painted(img, RED), expected_red)
    assert np.array_equal(painted(img, BLUE), expected_blue)
    assert painted(img, WHITE).sum() == 224 * 224 - 144 - 432


def test_arrange_v_puts_the_first_child_on_top():
    # W = 18, H = 12 + 6 + 24 = 42, origin (103, 91).
    img = render(arrange("v", rect(2, 2, "red"), rect(3, 4, "blue"), 1))
    assert np.argwhere(painted(img, RED)).min(0).tolist() == [91, 106]
    assert np.argwhere(painted(img, RED)).max(0).tolist() == [102, 117]
    assert np.argwhere(painted(img, BLUE)).min(0).tolist() == [109, 103]
    assert np.argwhere(painted(img, BLUE)).max(0).tolist() == [132, 120]


def test_move_shifts_the_paint_but_not_the_arrange_bounds():
    plain = layout(arrange("h", rect(2, 2, "red"), rect(2, 2, "blue"), 0))
    moved = layout(arrange("h", move(rect(2, 2, "red"), 1, 0), rect(2, 2, "blue"), 0))
    assert moved[1] == plain[1]  # blue: (112, 106)..(124, 118)
    assert (moved[0].x0, moved[0].y0) == (plain[0].x0 + 6, plain[0].y0)
    img = render_scene(moved)
    # red 106..118 under blue 112..124 (painted later): red shows only at 106..111.
    assert_only_box(np.where(painted(img, BLUE)[..., None], 255, img), RED, (106, 118), (106, 112))
    assert painted(img, BLUE).sum() == 144


def test_move_negative_flags_and_a_moved_root():
    # 2×2 at (106, 106); (x, y) = (1, 2) negated both ways → (100, 94).
    assert_only_box(render(move(rect(2, 2, "red"), 1, 2, True, True)), RED, (94, 106), (100, 112))
    # A root Move is visible: the root's box is centred, not its paint.
    assert_only_box(render(move(rect(2, 2, "red"), 3, 0)), RED, (106, 118), (124, 136))


def test_everything_outside_the_canvas_is_clipped():
    far = move(move(rect(9, 9, "red", "black", 8), 9, 9), 9, 9)  # box 193..247
    img = render(far)
    assert painted(img, RED)[195:, 195:].all()
    assert painted(img, BLACK)[191:195, 191:].all() and painted(img, WHITE)[:191].all()
    img = render(move(move(rect(9, 9, "red"), 9, 9, True, True), 9, 9, True, True))
    assert_only_box(img, RED, (0, 31), (0, 31))  # box -23..31
    row = arrange("h", rect(9, 1, "blue"), arrange("h", rect(9, 1), rect(9, 1, "blue"), 9), 9)
    img = render(row)  # 54·3 + 54·2 = 270 px wide: -23..247
    assert painted(img, BLUE)[:, 0].sum() == 6 and painted(img, BLUE)[:, 223].sum() == 6


def test_other_sizes_scale_the_canvas():
    # At 112 the 3×4 box is x 51.5..60.5, y 50..62: columns 51 and 60 are half red.
    img = render(rect(3, 4, "red"), 112)
    assert img.shape == (112, 112, 3) and img.dtype == np.uint8
    assert img[55, 50:62].tolist() == [list(WHITE), [255, 128, 128]] + [list(RED)] * 8 + [
        [255, 128, 128],
        list(WHITE),
    ]
    assert_only_box(render(rect(3, 4, "red"), 448), RED, (200, 248), (206, 242))
    with pytest.raises(ValueError):
        render(rect(1, 1), 0)


def test_painters_order_later_primitives_cover_earlier():
    a = Placed("rect", 100, 100, 124, 124, "red", "none", 0)
    b = Placed("ellipse", 100, 100, 124, 124, "green", "none", 0)
    assert render_scene([a, b])[112, 112].tolist() == [0, 128, 0]
    assert render_scene([b, a])[112, 112].tolist() == list(RED)
    assert render_scene([b, a])[100, 100].tolist() == list(RED)


# ----- an independent reference and regression pins -----------------------------


def reference_render(placed, size):
    """Brute force: every sample point tested, coverage composited over the whole image.

    Rectangle edges are compared exactly in integers: a sample u sits at canvas
    (2u + 1)·224 / (2·4·size), so 4·size·4·x = (2u + 1)·448; box edges are whole quarters.
    """
    k = 4
    index = np.arange(size * k)
    exact = (2 * index + 1) * 448  # 16·size·(canvas x) of each sample, an integer
    centres = (index + 0.5) / k * (CANVAS / size)  # canvas px, for ellipses
    ey, ex = np.meshgrid(exact, exact, indexing="ij")
    y, x = np.meshgrid(centres, centres, indexing="ij")
    out = np.full((size, size, 3), 255.0, dtype=np.float32)

    def q(v):
        assert float(4 * v).is_integer()
        return int(4 * v) * k * size

    def region(p, grow, closed):
        if p.kind == "rect":
            le, ge = (np.less_equal, np.greater_equal) if closed else (np.less, np.greater)
            x0, x1, y0, y1 = q(p.x0 - grow), q(p.x1 + grow), q(p.y0 - grow), q(p.y1 + grow)
            return ge(ex, x0) & le(ex, x1) & ge(ey, y0) & le(ey, y1)
        a, b = (p.x1 - p.x0) / 2 + grow, (p.y1 - p.y0) / 2 + grow
        if a <= 0 or b <= 0:
            return np.zeros_like(x, dtype=bool)
        r = ((x - (p.x0 + p.x1) / 2) / a) ** 2 + ((y - (p.y0 + p.y1) / 2) / b) ** 2
        return r <= 1 if closed else r < 1

    def composite(mask, colour):
        cov = mask.reshape(size, k, size, k).sum(axis=(1, 3)).astype(np.float32) / 16
        out[...] += cov[..., None] * (np.array(colour, np.float32) - out)

    for p in placed:
        if p.x1 <= p.x0 or p.y1 <= p.y0:
            continue
        if COLOURS[p.fill] is not None:
            composite(region(p, 0, True), COLOURS[p.fill])
        half = p.stroke_px / 2
        if COLOURS[p.stroke] is not None and half > 0:
            composite(region(p, half, True) & ~region(p, -half, False), COLOURS[p.stroke])
    return (out + 0.5).astype(np.uint8)


def random_program(rng, primitives):
    """A random TinySVG tree with exactly ``primitives`` primitives."""
    colours = list(COLOURS)
    if primitives == 1:
        make = rect if rng.random() < 0.5 else ellipse
        shape = make(
            *rng.integers(0, 10, 2), *rng.choice(colours, 2).tolist(), int(rng.integers(0, 10))
        )
    else:
        left = int(rng.integers(1, primitives))
        shape = arrange(
            str(rng.choice(["h", "v"])),
            random_program(rng, left),
            random_program(rng, primitives - left),
            int(rng.integers(0, 10)),
        )
    if rng.random() < 0.3:
        shape = move(shape, *rng.integers(0, 10, 2), *(rng.random(2) < 0.5))
    return shape


@pytest.mark.parametrize("size", [224, 128, 96, 64])
def test_matches_a_brute_force_reference_on_random_scenes(size):
    # At multiples of 32 no sample lies on any edge (docs/TINYSVG.md), so float
    # ellipses agree exactly too.
    rng = np.random.default_rng(17 + size)
    for _ in range(6):
        placed = layout(random_program(rng, int(rng.integers(2, 7))))
        assert np.array_equal(render_scene(placed, size), reference_render(placed, size))


@pytest.mark.parametrize("size", [112, 100, 50])
def test_rectangle_edges_are_exact_at_any_size(size):
    rng = np.random.default_rng(size)
    for _ in range(6):
        placed = layout(random_program(rng, int(rng.integers(2, 7))))
        placed = [dataclasses.replace(p, kind="rect") for p in placed]
        assert np.array_equal(render_scene(placed, size), reference_render(placed, size))


def test_a_sample_exactly_on_an_edge_is_inside():
    # At 100 px, sample 312 sits at canvas 312.5 · 224 / 400 = 175 exactly: the
    # box's closed right edge.  So one sample column of pixel 78 is covered.
    img = render_scene([Placed("rect", 121, 136, 175, 148, "red", "none", 0)], 100)
    assert img[62, 77:80].tolist() == [list(RED), [255, 191, 191], list(WHITE)]


def fixed_scene():
    return arrange(
        "v",
        arrange("h", rect(3, 4, "red", "black", 3), ellipse(5, 3, "purple", "yellow", 5), 1),
        move(
            arrange("h", ellipse(2, 7, "orange", "none", 0), rect(6, 2, "green", "blue", 1), 0),
            2,
            1,
        ),
        2,
    )


def test_regression_digest_of_a_fixed_scene():
    digests = {
        size: hashlib.md5(render(fixed_scene(), size).tobytes()).hexdigest() for size in (224, 128)
    }
    assert digests == {
        224: "163b30fe4c5d5f9619de42203040465a",
        128: "6e4c8c1cdfd076002ff1bc79e2c405ff",
    }


def test_renderer_is_roughly_area_preserving_across_sizes():
    ink = [(255 - render(fixed_scene(), s).astype(float)).sum() / s**2 for s in (224, 128, 64)]
    assert math.isclose(ink[0], ink[1], rel_tol=0.02) and math.isclose(ink[0], ink[2], rel_tol=0.05)
