"""Search: the beam search and rollouts, the shared run protocol, proposers, refinement,
tidying, the baselines (REPL-style, autoregressive), structure-first fitting and
synthesize.
"""
