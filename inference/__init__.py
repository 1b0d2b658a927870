"""TreeSketch's torch-free runtime: the CSG2D language, rendering, edits, exports and CLI."""

__version__ = "0.1.0"
