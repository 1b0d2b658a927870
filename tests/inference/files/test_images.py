"""Reading drawings as targets: the paper is the border's colour, ink is what differs from it."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from inference.files.images import (
    NOT_AN_IMAGE,
    ImageError,
    load_target,
    looks_filled,
    paper_colour,
    solid_fraction,
)

SIZE = 128


def plate_with_hole(paper, ink, size=200, mode="RGB"):
    """A filled plate with a round hole, drawn in ``ink`` on ``paper``, as PNG bytes."""
    im = Image.new(mode, (size, size), paper)
    draw = ImageDraw.Draw(im)
    draw.rectangle([40, 50, 160, 150], fill=ink)
    draw.ellipse([85, 85, 115, 115], fill=paper)
    return png(im)


def png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def check_plate(target):
    """``target`` is :func:`plate_with_hole` at SIZE: ink on the plate, none in the hole."""
    py, px = 70 * SIZE // 200, 100 * SIZE // 200  # on the plate, above the hole
    hy = hx = SIZE // 2  # the hole's centre
    assert target.shape == (SIZE, SIZE) and target.dtype == np.float32
    assert target[py, px] > 0.95, "the plate is ink"
    assert target[hy, hx] < 0.05, "the hole is paper"
    assert target[5, 5] < 0.05 and target[SIZE - 5, SIZE - 5] < 0.05, "the paper is not ink"
    inked = (target >= 0.5).mean()
    assert 0.25 < inked < 0.35  # 121 × 101 px less the hole, of 200²


@pytest.mark.parametrize(
    ("paper", "ink"),
    [
        ((255, 255, 255), (0, 0, 0)),  # dark on light
        ((240, 235, 220), (40, 40, 60)),  # a scan: off-white paper, dark grey ink
        ((0, 0, 0), (255, 255, 255)),  # light on dark (a refset-style render)
        ((250, 230, 120), (30, 40, 200)),  # blue ink on yellow paper
        ((40, 60, 160), (255, 255, 255)),  # white chalk on a blue board
        ((255, 255, 255), (200, 200, 200)),  # faint pencil
    ],
)
def test_a_drawing_is_read_the_way_it_was_drawn(paper, ink):
    check_plate(load_target(plate_with_hole(paper, ink), SIZE, ink="auto"))


def test_the_old_fixed_conventions_still_hold():
    data = plate_with_hole((255, 255, 255), (0, 0, 0))
    check_plate(load_target(data, SIZE, ink="black"))
    inverted = load_target(data, SIZE, ink="white")
    assert inverted[5, 5] > 0.95  # white says the paper is the shape: --ink is an override


def test_a_drawing_touching_one_side_of_the_border():
    im = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(im).rectangle([0, 40, 120, 160], fill=0)  # runs off the left edge
    target = load_target(png(im), SIZE, ink="auto")
    assert target[64, 2] > 0.95 and target[64, 40] > 0.95
    assert target[5, 5] < 0.05 and target[64, 120] < 0.05
    # a shape filling most of the border reads inverted: that is what --ink is for
    big = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(big).rectangle([0, 0, 199, 150], fill=0)
    assert load_target(png(big), SIZE, ink="auto")[5, 5] < 0.05
    assert load_target(png(big), SIZE, ink="black")[5, 5] > 0.95


def test_transparent_paper():
    im = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    draw.rectangle([40, 50, 160, 150], fill=(20, 20, 20, 255))
    draw.ellipse([85, 85, 115, 115], fill=(0, 0, 0, 0))
    check_plate(load_target(png(im), SIZE, ink="auto"))
    white_ink = Image.new("LA", (200, 200), (255, 0))  # white strokes, transparent paper
    ImageDraw.Draw(white_ink).rectangle([40, 50, 160, 150], fill=(255, 255))
    target = load_target(png(white_ink), SIZE, ink="auto")
    assert target[64, 64] > 0.95 and target[5, 5] < 0.05


def test_opaque_paper_with_transparent_holes():
    """Transparent pixels inside a drawing on opaque paper are paper too."""
    im = Image.new("RGBA", (200, 200), (255, 255, 255, 255))
    draw = ImageDraw.Draw(im)
    draw.rectangle([40, 50, 160, 150], fill=(0, 0, 0, 255))
    draw.ellipse([85, 85, 115, 115], fill=(0, 0, 0, 0))  # a hole cut out to transparency
    check_plate(load_target(png(im), SIZE, ink="auto"))


def test_a_drawing_in_a_sixteen_bit_grey_image():
    grey = np.full((100, 100), 60000, np.uint16)
    grey[20:80, 30:70] = 1000
    target = load_target(png(Image.fromarray(grey)), 100, ink="auto")
    assert target[50, 50] > 0.95 and target[5, 5] < 0.05


def test_an_image_of_one_colour_has_no_ink():
    for colour in (0, 255, 128):
        assert not load_target(png(Image.new("L", (50, 80), colour)), SIZE, ink="auto").any()
    rng = np.random.default_rng(0)  # paper with a little scanner noise, still one colour
    noisy = np.clip(230 + rng.normal(0, 4, (100, 100)), 0, 255).astype(np.uint8)
    assert not load_target(png(Image.fromarray(noisy)), SIZE, ink="auto").any()


def test_paper_colour_is_the_border_majority():
    rgba = np.ones((40, 40, 4), np.float32)
    rgba[:, :, :3] = (0.9, 0.8, 0.1)
    rgba[:, :15, :3] = 0.0  # the drawing covers the left 15 columns of the border ring
    assert np.allclose(paper_colour(rgba), (0.9, 0.8, 0.1))
    rgba[..., 3] = 0.0
    assert paper_colour(rgba) is None  # transparent paper


def test_errors_are_plain_words():
    with pytest.raises(ImageError) as info:
        load_target(b"this is not an image", SIZE, ink="auto")
    assert info.value.reason == NOT_AN_IMAGE and "BytesIO" not in str(info.value)
    assert "cannot identify" in info.value.detail  # the library's words, for the log
    with pytest.raises(ImageError, match="not a usable file name"):
        load_target("bad\0name.png", SIZE)
    with pytest.raises(ValueError, match="ink must be"):
        load_target(b"x", SIZE, ink="red")


def test_filled_shapes_and_thin_strokes_are_told_apart():
    plate = load_target(plate_with_hole((255, 255, 255), (0, 0, 0), 256), 256, ink="auto")
    assert looks_filled(plate) and solid_fraction(plate) > 0.6
    outline = Image.new("L", (256, 256), 255)
    draw = ImageDraw.Draw(outline)
    draw.rectangle([40, 50, 200, 190], outline=0, width=8)  # one canvas unit wide
    draw.ellipse([100, 100, 140, 140], outline=0, width=8)
    strokes = load_target(png(outline), 256, ink="auto")
    assert strokes.mean() > 0.05 and not looks_filled(strokes)
    assert solid_fraction(strokes) < 0.1
    assert not looks_filled(np.zeros((256, 256), np.float32))
    assert solid_fraction(np.zeros((8, 8))) == 0.0
