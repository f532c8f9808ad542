"""Keras preprocessing layers (rules being written)."""
