"""``model.output_shape`` and ``model.input_shape`` of models with several outputs or inputs:
a list of shape tuples in the order Keras flattens them, read here through arrays sized by
them and compared with what Keras reports; a failing assert on them is flagged."""

from __future__ import annotations

import pytest

from oracle import op_cases
from oracle.harness import run_engine

X = """
i = keras.Input((3,), name="i")
j = keras.Input((5,), name="j")
two = keras.Model(i, [keras.layers.Dense(2)(i), keras.layers.Dense(4)(i)])
nested = keras.Model(i, [[keras.layers.Dense(2)(i)], keras.layers.Dense(1)(i)])
named = keras.Model({"z": i, "a": j}, keras.layers.Dense(2)(keras.layers.Concatenate()([i, j])))
single = keras.Model([i], [keras.layers.Dense(6)(i)])
"""


@pytest.mark.parametrize(
    "line",
    [
        "y = np.zeros(two.output_shape[1][1:])",
        "y = np.zeros(len(two.output_shape))",
        "y = np.zeros(nested.output_shape[0][1:])",
        "y = np.zeros(named.input_shape[0][1:])",
        "y = np.zeros(named.input_shape[1][1:])",
        "y = np.zeros(single.output_shape[1:])",
        "y = np.zeros(single.input_shape[1:])",
    ],
)
def test_io_shapes_agree(line: str) -> None:
    op_cases.agree(X + line + "\n", ["y"])


def test_a_failing_assert_on_an_output_shape_is_flagged() -> None:
    wrong = run_engine(X + "assert two.output_shape[1][1] == 5\n")
    right = run_engine(X + "assert two.output_shape[1][1] == 4\n")
    assert len(wrong.errors) == 1 and "assertion fails" in wrong.errors[0], wrong.errors
    assert not right.errors
