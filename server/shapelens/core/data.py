"""tf.data datasets (rules being written)."""
