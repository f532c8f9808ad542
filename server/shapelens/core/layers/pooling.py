"""Keras pooling layers (rules being written)."""
