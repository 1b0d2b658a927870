"""The languages: grammars as data (CSG2D, TinySVG), the syntax tree and its canonical
printing, parsing, edits, locks and how they move, and the program JSON codec.
"""
