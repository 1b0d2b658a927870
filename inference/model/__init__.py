"""The model runtime: tokens, the grammar constraint, program-aligned token features,
batches, the ONNX contract and sessions, the step graph, prefix caches and decoding.
"""
