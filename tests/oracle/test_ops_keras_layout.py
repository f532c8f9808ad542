"""``keras.ops`` that rearrange arrays (``depth_to_space``/``space_to_depth``, ``dstack``,
``hsplit``/``vsplit``/``dsplit``, ``append``, ``diagflat``, ``vander``, ``extract_sequences``,
``conv_transpose``, ``separable_conv``), compared with what Keras computes; refused inputs
are flagged."""

from __future__ import annotations

import pytest

from oracle import op_cases

X = (
    "img = keras.ops.ones((2, 8, 8, 12))\n"
    "small = keras.ops.ones((2, 4, 4, 3))\n"
    "K = keras.Input((8, 8, 12))\n"
    "m = keras.ops.ones((4, 6))\n"
)

CASES = [
    ("y = keras.ops.depth_to_space(img, 2)", ["y"]),
    ("y = keras.ops.nn.space_to_depth(img, 2)", ["y"]),
    ("y = keras.ops.depth_to_space(keras.ops.ones((2, 12, 4, 4)), 2, data_format='channels_first')", ["y"]),
    ("y = keras.ops.space_to_depth(keras.ops.ones((2, 3, 4, 4)), 2, data_format='channels_first')", ["y"]),
    ("y = keras.ops.depth_to_space(K, 2)", ["y"]),
    ("y = keras.ops.dstack([m, m])", ["y"]),
    ("y = keras.ops.dstack([keras.ops.ones((3,)), keras.ops.ones((3,))])", ["y"]),
    ("y = keras.ops.dstack([keras.ops.ones((2, 3, 1)), keras.ops.ones((2, 3, 4))])", ["y"]),
    ("a, b, c = keras.ops.hsplit(m, 3)", ["a", "b", "c"]),
    ("a, b = keras.ops.vsplit(m, 2)", ["a", "b"]),
    ("a, b = keras.ops.hsplit(keras.ops.ones((6,)), 2)", ["a", "b"]),
    ("a, b = keras.ops.dsplit(keras.ops.ones((2, 3, 4)), 2)", ["a", "b"]),
    ("y = keras.ops.append(m, m)", ["y"]),
    ("y = keras.ops.append(m, m, axis=0)", ["y"]),
    ("y = keras.ops.diagflat(m)", ["y"]),
    ("y = keras.ops.diagflat(keras.ops.ones((3,)), k=1)", ["y"]),
    ("y = keras.ops.vander(keras.ops.ones((4,)), 3)", ["y"]),
    ("y = keras.ops.vander(keras.ops.ones((4,)))", ["y"]),
    ("y = keras.ops.extract_sequences(keras.ops.ones((2, 100)), 16, 8)", ["y"]),
    ("y = keras.ops.extract_sequences(keras.ops.ones((50,)), 10, 10)", ["y"]),
    ("y = keras.ops.conv_transpose(small, keras.ops.ones((3, 3, 16, 3)), 2, padding='same')", ["y"]),
    ("y = keras.ops.conv_transpose(small, keras.ops.ones((3, 3, 16, 3)), 2)", ["y"]),
    ("y = keras.ops.conv_transpose(small, keras.ops.ones((2, 2, 8, 3)), 2)", ["y"]),
    ("y = keras.ops.conv_transpose(keras.ops.ones((2, 10, 3)), keras.ops.ones((5, 4, 3)), 3)", ["y"]),
    ("y = keras.ops.conv_transpose(keras.ops.ones((2, 10, 3)), keras.ops.ones((2, 4, 3)), 3, padding='same')", ["y"]),
    ("y = keras.ops.separable_conv(small, keras.ops.ones((3, 3, 3, 2)), keras.ops.ones((1, 1, 6, 10)))", ["y"]),
    ("y = keras.ops.separable_conv(small, keras.ops.ones((3, 3, 3, 2)), keras.ops.ones((1, 1, 6, 10)), "
     "strides=2, padding='same')", ["y"]),
]


@pytest.mark.parametrize(("line", "names"), CASES)
def test_keras_layout_agrees(line: str, names: list[str]) -> None:
    op_cases.agree(X + line + "\n", names)


@pytest.mark.parametrize(
    "line",
    [
        "y = keras.ops.depth_to_space(keras.ops.ones((2, 4, 4, 6)), 2)",
        "y = keras.ops.space_to_depth(keras.ops.ones((2, 5, 4, 3)), 2)",
        "y = keras.ops.dstack([m, keras.ops.ones((5, 6))])",
        "y = keras.ops.conv_transpose(small, keras.ops.ones((3, 3, 16, 5)), 2)",
    ],
)
def test_refused_inputs_are_flagged(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"], exact=False)
