"""Names of the synthesis methods (a light module: the CLI imports it at start-up)."""

MODEL_METHODS = ("tree-diffusion", "tree-diffusion+refine", "rollouts")
"""Methods that need a policy model."""
BASELINE_METHODS = ("random", "random+refine", "repl")
"""Methods that need no model."""
METHODS = MODEL_METHODS + BASELINE_METHODS
AR_METHOD = "autoregressive"
"""The CSGNet-style baseline; it needs a write model (:mod:`inference.search.autoregressive`)."""
BENCH_METHODS = (*METHODS, "untrained", AR_METHOD)
"""What ``bench`` can run: the methods, the untrained network and the autoregressive baseline."""
