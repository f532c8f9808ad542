"""The shape probe: runs the user's cells in a warm local kernel and reports the real shapes.

``runtime`` and ``host`` run in the user's interpreter (next to their TensorFlow); everything
else runs in the shapelens process and never imports TensorFlow or jupyter_client.
"""
