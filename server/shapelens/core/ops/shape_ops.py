"""shape_ops (rules being written)."""
