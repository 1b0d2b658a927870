"""The method's noise: random programs, grammar mutations, tree paths, training examples,
and CAD-like parts.
"""
