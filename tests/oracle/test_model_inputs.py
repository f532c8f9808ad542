"""How Keras 3 checks data against a functional model's inputs (trailing-1 squeeze, rank
adjustment), and that symbolic calls of built models do not re-check inner layers: the engine
must report exactly where TF raises and stay quiet everywhere else."""

import textwrap

import pytest

from oracle.harness import PREAMBLE, assert_agrees, compare, run_engine, run_real
from shapelens.core.analysis import analyze_source

CASES = [
    ((28, 28, 1), (28, 28, 1)),
    ((28, 28, 1), (4, 28, 28, 2)),
    ((4, 4, 2), (8, 4, 4, 1)),
    ((4, 4, 2), (8, 4, 4, 3)),
    ((10,), (4, 5)),
    ((10,), (4, 10, 1)),
    ((10,), (4, 1, 10)),
    ((10,), (10,)),
    ((10, 1), (4, 10)),
    ((5, 3), (4, 5)),
    ((5, 3), (5, 3)),
    ((5, 3), (2, 5, 3, 1)),
    ((5, 3), (2, 6, 3)),
    ((28, 28, 3), (28, 28, 3)),
]


@pytest.mark.parametrize(("shape", "data"), CASES, ids=[f"{s}-{d}" for s, d in CASES])
@pytest.mark.parametrize("how", ["predict", "call"])
def test_functional_input_check(shape: tuple, data: tuple, how: str) -> None:
    call = "model.predict(x, verbose=0)" if how == "predict" else "model(x)"
    src = f"""
    inp = keras.Input(shape={shape})
    model = keras.Model(inp, layers.Flatten()(inp))
    x = np.zeros({data}, dtype="float32")
    out = {call}
    """
    real = run_real(src, ["out"])
    verdict = compare(src, ["out"], real)
    assert verdict.ok, verdict.detail
    if real.error is not None:
        assert run_engine(src).errors, f"TF raised {real.error!r} but the engine said nothing"


def test_symbolic_call_of_a_built_sequential_is_not_rechecked() -> None:
    src = """
    tower = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(16)])
    emb = tower(keras.Input((28, 28, 2)))
    """
    real = run_real(src, ["emb"])
    assert real.error is None
    assert not run_engine(src).errors


def test_reused_layer_is_checked_symbolically() -> None:
    src = """
    dense = layers.Dense(4)
    a = dense(keras.Input((10,)))
    b = dense(keras.Input((5,)))
    """
    assert run_real(src).error is not None
    assert run_engine(src).errors


def test_a_fixed_batch_size_survives_fit_and_predict() -> None:
    """A stateful model built for batches of 4, trained and run on 8 rows in steps of 4: its
    layers keep batch 4 (the engine used to blur it with the array's 8), predict returns 8."""
    src = """
    model = keras.Sequential([
        keras.Input(batch_shape=(4, 6, 3)),
        layers.LSTM(16, stateful=True, return_sequences=True),
        layers.Dense(1),
    ])
    model.compile(loss="mse", optimizer="adam")
    xs = np.zeros((8, 6, 3), dtype="float32")
    model.fit(xs, np.zeros((8, 6, 1), dtype="float32"), batch_size=4, epochs=1, shuffle=False, verbose=0)
    out = model.predict(xs, batch_size=4, verbose=0)
    """
    assert_agrees(src, ["xs", "out"])
    facts = analyze_source(PREAMBLE + textwrap.dedent(src)).facts
    layer_dims = {f.name: f.shape.dims for f in facts if f.kind == "layer"}
    assert layer_dims == {"LSTM": (4, 6, 16), "Dense": (4, 6, 1)}
    assert not run_engine(src).errors


SEQUENTIALS = {
    "input": "keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(3)])",
    "input_shape": "keras.Sequential([layers.Conv2D(4, 3, input_shape=(28, 28, 1)), layers.Flatten(), layers.Dense(3)])",
    "lazy": "keras.Sequential([layers.Conv2D(4, 3), layers.Flatten(), layers.Dense(3)])",
    "dense": "keras.Sequential([keras.Input(shape=(10,)), layers.Dense(3)])",
}


@pytest.mark.parametrize("how", ["predict", "call"])
@pytest.mark.parametrize("data", ["(8, 28, 28)", "(8, 28, 28, 1)", "(8, 28, 28, 1, 1)", "(8, 784)", "(28, 28, 1)", "(8, 10, 1)", "(8, 5)"])
@pytest.mark.parametrize("model", list(SEQUENTIALS))
def test_sequential_input_rank_adjustment(model: str, data: str, how: str) -> None:
    """Keras 3 runs a Sequential with a known input through a functional model: a trailing
    axis of size 1 is added or dropped to fit; the engine must agree both ways."""
    call = "model.predict(x, verbose=0)" if how == "predict" else "model(x)"
    src = f"""
    model = {SEQUENTIALS[model]}
    x = np.zeros({data}, dtype="float32")
    out = {call}
    """
    verdict = compare(src, ["out"])
    assert verdict.ok, verdict.detail
