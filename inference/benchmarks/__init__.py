"""Benchmark commands that nothing else imports (python -m inference.benchmarks.<name>)."""
