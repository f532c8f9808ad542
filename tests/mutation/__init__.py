"""TF-confirmed mutation suite: single edits of the corpus scripts, run under real TF, scored."""
