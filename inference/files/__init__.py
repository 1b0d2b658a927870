"""Files in and out: atomic writes, program and problem files, target images (banded PNG
reading), and exports.
"""
