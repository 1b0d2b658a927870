"""Hypothesis strategies for CSG2D programs, shared by the test modules."""

from hypothesis import strategies as st

from inference.lang.tree import ANGLE_VALUES, binop, circle, quad

values = st.integers(0, 15)
angles = st.sampled_from(ANGLE_VALUES)
circles = st.builds(circle, values, values, values)
quads = st.builds(quad, values, values, values, values, angles)
primitives = st.one_of(circles, quads)


def _extend(children):
    return st.builds(binop, st.sampled_from(["+", "-"]), children, children)


programs = st.recursive(primitives, _extend, max_leaves=10)
"""Random programs with 1 to about 10 primitives."""
