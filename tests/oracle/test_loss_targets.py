"""Targets against the compiled loss at fit(): the engine reports exactly the combinations
Keras 3 rejects and stays quiet on the ones it accepts."""

import pytest

from oracle.harness import run_engine, run_real

CASES = [
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16,)"),
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16, 1)"),
    ("sparse_categorical_crossentropy", "layers.Dense(5)", "(16, 5)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("sparse_categorical_crossentropy", "layers.Reshape((2, 2))", "(16, 2)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16,)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 1)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 3)"),
    ("categorical_crossentropy", "layers.Dense(5)", "(16, 5)"),
    ("binary_crossentropy", "layers.Dense(1)", "(16,)"),
    ("binary_crossentropy", "layers.Dense(1)", "(16, 3)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16, 2, 2)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16, 4, 1)"),
    ("binary_crossentropy", "layers.Dense(2)", "(16,)"),
    ("binary_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("categorical_crossentropy", "layers.Reshape((2, 2))", "(16,)"),
    ("categorical_crossentropy", "layers.Reshape((1, 4))", "(16, 1)"),
    ("mse", "layers.Dense(1)", "(16, 3)"),
    ("mse", "layers.Dense(3)", "(16, 2)"),
    ("mse", "layers.Dense(3)", "(16, 3)"),
]


@pytest.mark.parametrize(("loss", "head", "target"), CASES)
def test_targets_under_loss(loss: str, head: str, target: str) -> None:
    src = f"""
    model = keras.Sequential([keras.Input(shape=(4,)), {head}])
    model.compile(optimizer="sgd", loss="{loss}")
    y = np.random.randint(0, 2, size={target}).astype("float32")
    model.fit(np.zeros((16, 4), dtype="float32"), y, epochs=1, verbose=0)
    """
    real = run_real(src)
    engine = run_engine(src)
    if real.error is None:
        assert not engine.errors, engine.errors
    else:
        assert engine.errors, f"TF raised {real.error!r}; the engine said nothing"


@pytest.mark.parametrize("n_y", [16, 12])
def test_sample_counts_must_agree(n_y: int) -> None:
    src = f"""
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((16, 4), dtype="float32"), np.zeros(({n_y}, 1)), epochs=1, verbose=0)
    """
    real = run_real(src)
    engine = run_engine(src)
    assert bool(engine.errors) == (real.error is not None), (engine.errors, real.error)
