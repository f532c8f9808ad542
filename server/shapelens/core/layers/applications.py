"""Keras applications layers (rules being written)."""
