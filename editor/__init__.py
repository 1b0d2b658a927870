"""The TreeSketch desktop editor (PySide6): ``python -m editor [FILE]``."""
