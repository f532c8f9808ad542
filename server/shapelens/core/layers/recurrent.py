"""Keras recurrent layers (rules being written)."""
