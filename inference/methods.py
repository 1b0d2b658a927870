"""Names of the synthesis methods (a light module: the CLI imports it at start-up)."""

MODEL_METHODS = ("tree-diffusion", "tree-diffusion+refine", "rollouts")
"""Methods that need a policy model."""
BASELINE_METHODS = ("random", "random+refine", "repl")
"""Methods that need no model."""
METHODS = MODEL_METHODS + BASELINE_METHODS
