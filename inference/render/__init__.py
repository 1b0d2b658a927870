"""Rendering programs: the exact geometry, the fast rasterizer and packed masks, and arc
outlines for exports.
"""
