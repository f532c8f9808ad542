"""Keras reshaping layers (rules being written)."""
