"""Layers created without a name get Keras' automatic one (``conv2d``, ``conv2d_1``...). The
engine knows its prefix, not its number: checked under TF that filters on the prefix and
``get_layer(layer.name)`` give what Keras gives, and that what the suffix decides stays unknown."""

from __future__ import annotations

import pytest

from oracle.harness import assert_agrees, run_engine

MODEL = """
inp = keras.Input((16, 16, 3))
x = keras.layers.Conv2D(4, 3)(inp)
x = keras.layers.BatchNormalization()(x)
x = keras.layers.Conv2D(6, 3)(x)
x = keras.layers.Conv2DTranspose(5, 3)(x)
x = keras.layers.GlobalAveragePooling2D()(x)
x = keras.layers.Dense(8)(x)
out = keras.layers.Dense(2)(x)
model = keras.Model(inp, out)
"""


@pytest.mark.parametrize(
    "line",
    [
        'y = [l for l in model.layers if l.name.startswith("conv2d")][1].output',
        'y = [l.output for l in model.layers if l.name.startswith(("batch", "dense"))][0]',
        'y = [l.output for l in model.layers if not l.name.startswith("conv")][1]',
        'y = [l for l in model.layers if not l.name.endswith("_bn")][2].output',
        'y = [l for l in model.layers if "transpose" in l.name][0].output',
        "y = model.get_layer(model.layers[-2].name).output",
        "y = model.get_layer(name=[l.name for l in model.layers][3]).output",
        "y = keras.Model(inp, model.get_layer(model.layers[4].name).output)(tf.zeros((2, 16, 16, 3)))",
    ],
)
def test_automatic_names_decide_filters_and_lookups(line: str) -> None:
    assert_agrees(MODEL + line + "\n", ["y"])


@pytest.mark.parametrize(
    "line",
    [
        # `conv2d_` may or may not start the name of the first Conv2D: its number decides
        'y = [l for l in model.layers if l.name.startswith("conv2d_1")][0].output',
        'y = [l for l in model.layers if l.name.startswith("conv2d_")][0].output',
        # a name ending in a digit may be any of them
        'y = [l for l in model.layers if l.name.endswith("1")][0].output',
    ],
)
def test_what_the_number_decides_stays_unknown(line: str) -> None:
    assert_agrees(MODEL + line + "\n", ["y"], require_exact=False)
    assert run_engine(MODEL + line + "\n").values.get("y") is None


def test_names_reused_after_clear_session_are_not_trusted() -> None:
    """After clear_session the counters restart: a new ``dense`` may share an old one's name,
    and get_layer returns the first layer that has it."""
    src = """
    old = keras.layers.Dense(3)
    keras.backend.clear_session()
    inp = keras.Input((4,))
    h = old(inp)
    out = keras.layers.Dense(5)(h)
    model = keras.Model(inp, out)
    y = model.get_layer(model.layers[-1].name).output
    """
    assert_agrees(src, ["y"], require_exact=False)
    assert run_engine(src).values.get("y") is None


def test_an_explicit_name_before_the_layer_may_equal_its_automatic_one() -> None:
    src = """
    inp = keras.Input((4,))
    h = keras.layers.Dense(3, name="dense_7")(inp)
    out = keras.layers.Dense(5)(h)
    model = keras.Model(inp, out)
    y = model.get_layer(model.layers[-1].name).output
    """
    assert_agrees(src, ["y"], require_exact=False)
    assert run_engine(src).values.get("y") is None


def test_a_layer_outside_the_model_is_not_found() -> None:
    src = """
    inp = keras.Input((4,))
    out = keras.layers.Dense(5)(inp)
    model = keras.Model(inp, out)
    other = keras.layers.Dense(2)
    found = [l for l in model.layers if l.name == other.name]
    y = out if not found else None
    """
    assert_agrees(src, ["y"])
