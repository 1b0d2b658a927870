"""``mutations.replace_node`` (the unchecked fast path of noising and path replays) builds
exactly the tree ``tree.replace_at`` builds, at every position."""

import numpy as np

from inference.lang.tree import replace_at, walk
from inference.noise.mutations import random_replacement, replace_node
from inference.noise.random_programs import random_shape


def test_replace_node_equals_replace_at():
    rng = np.random.default_rng(0)
    count = 0
    for n in (1, 2, 3, 5, 8, 12):
        for _ in range(10):
            program = random_shape(rng, n)
            for pos, node in walk(program):
                new = random_replacement(rng, node)
                fast = replace_node(program, pos, new)
                assert fast == replace_at(program, pos, new)
                assert fast.size == program.size - node.size + new.size
                count += 1
    assert count > 1000
