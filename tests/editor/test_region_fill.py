"""The fill tool on the target image: regions, slivers and holes (no widgets)."""

import numpy as np
from PIL import Image, ImageDraw

from editor.region_fill import fill_region

SIZE = 256


def drawing(draw_fn) -> np.ndarray:
    """A 256×256 target (1 = ink) drawn with PIL strokes 6 pixels wide."""
    image = Image.new("L", (SIZE, SIZE), 0)
    draw_fn(ImageDraw.Draw(image))
    return np.asarray(image, dtype=np.float32) / 255.0


def plate(draw) -> None:
    draw.rectangle((40, 60, 200, 180), outline=255, width=6)
    draw.ellipse((96, 96, 144, 144), outline=255, width=6)  # a bore 36 px across inside
    draw.line((186, 60, 186, 180), fill=255, width=6)  # a 5-px strip along the right edge


def test_a_fill_makes_the_region_solid_and_takes_the_slivers_beside_it():
    target = drawing(plate)
    filled = fill_region(target, 120, 60)
    assert (filled[70:170, 50:90] == 1.0).all()  # the clicked region
    assert (filled[70:170, 190:195] == 1.0).all()  # the strip between two strokes
    assert (filled[112:128, 112:128] == 0.0).all()  # the bore is a hole, not a sliver
    assert filled[20, 20] == 0.0 and filled[220, 120] == 0.0  # outside stays paper
    assert (target == drawing(plate)).all()  # the input is not changed


def test_clicking_ink_or_off_the_image_changes_nothing():
    target = drawing(plate)
    assert fill_region(target, 60, 120) is target  # on the stroke
    assert fill_region(target, -1, 5) is target and fill_region(target, 5, SIZE) is target


def test_a_thin_region_open_to_the_canvas_border_is_not_a_sliver():
    def gap(draw):
        draw.rectangle((40, 60, 200, 180), outline=255, width=6)
        draw.line((0, 54, 255, 54), fill=255, width=4)  # a channel above the top edge

    target = drawing(gap)
    filled = fill_region(target, 120, 120)
    assert (filled[100:140, 100:140] == 1.0).all()
    assert (filled[57:60, 10:30] == 0.0).all()  # the channel runs out to the border


def test_a_fill_grows_over_the_soft_inner_edge_of_strokes():
    target = drawing(plate) * 0.9  # anti-aliased ink below 1.0 stays inked
    filled = fill_region(target, 120, 60)
    region = filled == 1.0
    assert region[120, 47:49].all()  # the 2 pixels next to the left stroke
