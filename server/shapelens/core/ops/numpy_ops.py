"""numpy_ops (rules being written)."""
