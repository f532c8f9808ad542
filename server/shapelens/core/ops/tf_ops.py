"""tf_ops (rules being written)."""
