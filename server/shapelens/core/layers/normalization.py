"""Keras normalization layers (rules being written)."""
