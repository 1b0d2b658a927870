"""The CSG2D language: the syntax tree and its canonical printing, parsing, edits, locks
and how they move, and the program JSON codec.
"""
