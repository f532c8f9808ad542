"""A functional model whose outputs need an Input it is not given: Keras raises when the model
is built, and the engine says so at that line. Both directions against real Keras: every
snippet runs under TF, and the engine reports ``graph-disconnected`` exactly where Keras raised
and stays quiet where Keras built the model."""

from __future__ import annotations

import textwrap

import pytest

from oracle.harness import PREAMBLE, run_engine, run_real

pytestmark = pytest.mark.tf

DISCONNECTED = {
    "second_model_on_a_fresh_input": """
        inp = keras.Input((8,))
        h = layers.Dense(4)(inp)
        out = layers.Dense(2)(h)
        base = keras.Model(inp, out)
        new_inp = keras.Input((8,))
        head = keras.Model(new_inp, base.layers[-2].output)
    """,
    "one_of_two_inputs_listed": """
        a = keras.Input((4,), name="a")
        b = keras.Input((3,), name="b")
        merged = layers.concatenate([layers.Dense(2)(a), layers.Dense(2)(b)])
        model = keras.Model(a, layers.Dense(1)(merged))
    """,
    "outputs_from_the_other_input": """
        a = keras.Input((4,))
        b = keras.Input((4,))
        model = keras.Model(inputs=[a], outputs=layers.Dense(3)(b))
    """,
    "through_ops_between_layers": """
        a = keras.Input((5,))
        b = keras.Input((5,))
        x = layers.Dense(5)(a) + keras.ops.relu(b)
        model = keras.Model({"a": a}, x)
    """,
    "a_builder_closing_over_a_global_input": """
        shared_inp = keras.Input((6,))
        features = layers.Dense(3)(shared_inp)

        def build_head():
            inp = keras.Input((6,))
            return keras.Model(inp, layers.Dense(1)(features))

        head = build_head()
    """,
    "subclass_given_the_wrong_inputs": """
        a = keras.Input((4,))
        b = keras.Input((4,))

        class Wrapped(keras.Model):
            def __init__(self):
                super().__init__(inputs=b, outputs=layers.Dense(2)(a))

        m = Wrapped()
    """,
    "application_built_on_another_input": """
        inp = keras.Input((32, 32, 3))
        other = keras.Input((32, 32, 3))
        base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inp)
        model = keras.Model(other, base.output)
    """,
    "nested_model_called_on_an_unlisted_input": """
        inner_in = keras.Input((3,))
        inner = keras.Model(inner_in, layers.Dense(2)(inner_in))
        x_in = keras.Input((3,))
        y_in = keras.Input((3,))
        model = keras.Model(x_in, inner(y_in))
    """,
}

CONNECTED = {
    "truncated_functional_model": """
        inp = keras.Input((8,))
        h = layers.Dense(4, name="hidden")(inp)
        base = keras.Model(inp, layers.Dense(2)(h))
        head = keras.Model(base.input, base.layers[-2].output)
        by_name = keras.Model(base.inputs, base.get_layer("hidden").output)
    """,
    "sequential_with_an_input": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(4), layers.Dense(2)])
        first = keras.Model(seq.inputs, seq.layers[0].output)
        whole = keras.Model(seq.inputs, seq.outputs)
    """,
    "sequential_called_on_an_input": """
        seq = keras.Sequential([layers.Dense(4), layers.Dense(2)])
        inp = keras.Input((5,))
        model = keras.Model(inp, seq(inp))
    """,
    "an_unused_input_is_allowed": """
        a = keras.Input((4,))
        b = keras.Input((4,))
        model = keras.Model([a, b], layers.Dense(3)(a))
    """,
    "dict_inputs": """
        ins = {"x": keras.Input((2,), name="x"), "y": keras.Input((3,), name="y")}
        model = keras.Model(ins, layers.Dense(1)(layers.concatenate([ins["x"], ins["y"]])))
    """,
    "encoder_decoder": """
        inp = keras.Input((6,))
        encoder = keras.Model(inp, layers.Dense(2)(inp))
        z_in = keras.Input((2,))
        decoder = keras.Model(z_in, layers.Dense(6)(z_in))
        autoencoder = keras.Model(inp, decoder(encoder(inp)))
    """,
    "an_intermediate_tensor_as_input": """
        inp = keras.Input((6,))
        h = layers.Dense(4)(inp)
        tail = keras.Model(h, layers.Dense(1)(h))
    """,
    "built_in_a_function_twice": """
        def build(n):
            inp = keras.Input((n,))
            x = inp
            for units in (8, 4):
                x = layers.Dense(units)(x)
            return keras.Model(inp, x)

        m1 = build(3)
        m2 = build(5)
    """,
    "application_on_a_given_input": """
        inp = keras.Input((32, 32, 3))
        base = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inp)
        model = keras.Model(inp, layers.GlobalAveragePooling2D()(base.output))
    """,
    "branches_joined": """
        import random
        a = keras.Input((4,))
        x = layers.Dense(3)(a) if random.random() < 2 else layers.Dense(3)(a)
        model = keras.Model(a, x)
    """,
}


@pytest.mark.parametrize("name", sorted(DISCONNECTED))
def test_keras_raises_and_the_engine_says_where(name: str) -> None:
    src = textwrap.dedent(DISCONNECTED[name])
    real, eng = run_real(src), run_engine(src)
    assert isinstance(real.error, ValueError) and "connected" in str(real.error), real.error
    assert any("not connected to `inputs`" in e for e in eng.errors), (eng.errors, PREAMBLE + src)
    assert real.error_line in eng.error_lines, (real.error_line, eng.error_lines)


@pytest.mark.parametrize("name", sorted(CONNECTED))
def test_keras_builds_the_model_and_the_engine_is_quiet(name: str) -> None:
    src = textwrap.dedent(CONNECTED[name])
    real, eng = run_real(src), run_engine(src)
    assert real.error is None, real.error
    assert not eng.errors, eng.errors
