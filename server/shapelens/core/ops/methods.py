"""methods (rules being written)."""
