"""keras_ops (rules being written)."""
