"""``isinstance`` on layers against Keras' own class hierarchy: for every pair of public layer
classes the engine has rules for, its answer is Keras' ``issubclass`` or no answer at all."""

from __future__ import annotations

import inspect
import textwrap

import pytest

from oracle.harness import PREAMBLE, run_engine
from oracle.op_cases import agree
from shapelens.core.analysis import analyze_source
from shapelens.core.layer_classes import is_layer_subclass
from shapelens.core.layers.base import LAYERS


def test_every_pair_of_public_layer_classes() -> None:
    import keras

    public = {
        n: c for n, c in vars(keras.layers).items() if inspect.isclass(c) and issubclass(c, keras.layers.Layer)
    }
    names = sorted(n for n in LAYERS if n in public)
    assert len(names) > 120
    checked = 0
    for a in names:
        for b in [*names, "Layer", "Wrapper"]:
            answer = is_layer_subclass(a, b)
            real = issubclass(public[a], public[b])
            assert answer in (None, real), f"isinstance({a}(), {b}): engine {answer}, Keras {real}"
            checked += answer is not None
    assert checked == len(names) * (len(names) + 2)


@pytest.mark.parametrize(
    "check",
    [
        "isinstance(model.layers[2], layers.BatchNormalization)",
        "isinstance(model.layers[1], layers.BatchNormalization)",
        "isinstance(model.layers[0], keras.layers.InputLayer)",
        "isinstance(model.layers[1], keras.layers.Layer)",
        "isinstance(model.layers[3], keras.layers.InputLayer)",
        "isinstance(model.layers[3], keras.layers.Layer)",
        "isinstance(model.layers[3], Scaled)",
        "isinstance(model.layers[3], Other)",
        "isinstance(model.layers[1], Scaled)",
        "isinstance(model.layers[4], layers.RNN)",
        "isinstance(model.layers[4], (layers.Dense, layers.Dropout))",
        "isinstance(model.layers[5], layers.Dropout)",
        "isinstance(model.layers[6], layers.MaxPool1D)",
    ],
)
def test_isinstance_on_a_models_layers(check: str) -> None:
    """The layers a model lists, built-in or the program's own, sorted by class."""
    agree(
        f"""
        class Scaled(layers.Layer):
            def call(self, x):
                return x * 0.5

        class Other(layers.Layer):
            pass

        inp = keras.Input((6, 4))
        x = layers.Dense(8)(inp)
        x = layers.BatchNormalization()(x)
        x = Scaled()(x)
        x = layers.LSTM(8, return_sequences=True)(x)
        x = layers.SpatialDropout1D(0.1)(x)
        x = layers.MaxPooling1D()(x)
        model = keras.Model(inp, x)
        out = np.zeros((2,)) if {check} else np.zeros((3,))
        """,
        ["out"],
    )


def test_freezing_all_but_batch_norm_keeps_parameter_counts_known() -> None:
    """The usual fine-tuning loop: every layer trainable again except the BatchNormalizations."""
    src = """
    inp = keras.Input((20,))
    x = layers.Dense(64)(inp)
    x = layers.BatchNormalization()(x)
    model = keras.Model(inp, layers.Dense(4)(x))
    for layer in model.layers[1:3]:
        layer.trainable = False
    for layer in model.layers:
        if not isinstance(layer, layers.BatchNormalization):
            layer.trainable = True
    trainable = np.zeros((sum(int(np.prod(w.shape)) for w in model.trainable_weights),))
    """
    agree(src, ["trainable"], exact=False)
    analysis = analyze_source(PREAMBLE + textwrap.dedent(src))
    tables = [f.model_table() for f in analysis.facts if f.kind == "model"]
    assert [(t.total, t.trainable) for t in tables if t is not None] == [(1860, 1604)]
    assert not run_engine(src).errors
