"""Keras attention layers (rules being written)."""
