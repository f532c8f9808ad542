"""The static shape engine: reads Python source, never imports TensorFlow or Keras."""

from .analysis import Analysis, analyze_file, analyze_source

__all__ = ["Analysis", "analyze_file", "analyze_source"]
