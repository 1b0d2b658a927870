"""Small utilities every layer may use: excerpts of user input for messages, bounded JSON
reading, cancellation.
"""
