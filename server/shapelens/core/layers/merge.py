"""Keras merge layers (rules being written)."""
