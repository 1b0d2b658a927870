"""Hypothesis strategies for TinySVG drawings (the noise tests')."""

from hypothesis import strategies as st

from inference.lang.tinysvg import COLOURS, arrange, ellipse, move, rectangle

digits = st.integers(0, 9)
colours = st.sampled_from(COLOURS)
items = st.one_of(
    st.builds(rectangle, digits, digits, colours, colours, digits),
    st.builds(ellipse, digits, digits, colours, colours, digits),
)


def _extend(children):
    return st.one_of(
        st.builds(arrange, st.sampled_from("hv"), children, children, digits),
        st.builds(move, children, digits, digits, st.booleans(), st.booleans()),
    )


drawings = st.recursive(items, _extend, max_leaves=8)
seeds = st.integers(0, 2**32 - 1)
