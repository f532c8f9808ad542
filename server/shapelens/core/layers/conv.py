"""Keras conv layers (rules being written)."""
