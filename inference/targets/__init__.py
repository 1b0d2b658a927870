"""What a program is compared with: targets and their scores (exact, tolerant, outline),
shape and edge checks, target images, and simulated drawings and sketches.
"""
