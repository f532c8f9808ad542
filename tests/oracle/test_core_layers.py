"""Differential tests for the core layers against real Keras."""

import pytest

from oracle.harness import assert_agrees


@pytest.mark.parametrize("units", [1, 7, 64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 9)])
def test_dense(units: int, shape: tuple[int, ...]) -> None:
    assert_agrees(
        f"""
        x = keras.Input(shape={shape})
        y = layers.Dense({units})(x)
        """,
        ["x", "y"],
    )


def test_embedding() -> None:
    assert_agrees(
        """
        x = keras.Input(shape=(12,), dtype="int32")
        y = layers.Embedding(1000, 16)(x)
        """,
        ["x", "y"],
    )
