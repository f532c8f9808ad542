"""shapelens: Keras/TensorFlow tensor shapes and shape mistakes, shown while you type."""

__version__ = "0.1.0"
