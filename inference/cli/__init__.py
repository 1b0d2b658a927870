"""The headless command line (python -m inference): commands, the benchmark runner and its
command.
"""
