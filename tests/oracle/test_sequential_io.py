"""``seq.input`` / ``seq.output`` of a Sequential under Keras 3: undefined until the Sequential
is called on a symbolic tensor (even with an Input, even after fit), while ``inputs``/``outputs``
work. Both directions against real Keras: the engine reports ``sequential-io`` exactly where
Keras raised, and is quiet wherever Keras gives the attribute."""

from __future__ import annotations

import textwrap

import pytest

from oracle.harness import run_engine, run_real

pytestmark = pytest.mark.tf

RAISES = {
    "feature_extractor_from_a_sequential": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(4, name="feat"), layers.Dense(2)])
        extractor = keras.Model(seq.input, seq.get_layer("feat").output)
    """,
    "after_fit": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(2)])
        seq.compile("adam", "mse")
        seq.fit(np.zeros((8, 5)), np.zeros((8, 2)), epochs=1, verbose=0)
        out = seq.output
    """,
    "input_shape_on_the_first_layer": """
        seq = keras.Sequential([layers.Dense(3, input_shape=(5,))])
        x = seq.input
    """,
    "built_with_add": """
        seq = keras.Sequential(name="clf")
        seq.add(keras.Input((4,)))
        seq.add(layers.Dense(2))
        seq.summary()
        x = seq.input
    """,
    "called_eagerly_only": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(2)])
        y = seq(np.zeros((3, 5), np.float32))
        p = seq.predict(np.zeros((3, 5)), verbose=0)
        x = seq.output
    """,
}

DEFINED = {
    "inputs_and_outputs": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(4, name="feat"), layers.Dense(2)])
        extractor = keras.Model(seq.inputs, seq.get_layer("feat").output)
        outs = seq.outputs
    """,
    "called_on_an_input": """
        seq = keras.Sequential([layers.Dense(3)])
        y = seq(keras.Input((5,)))
        x = seq.input
        o = seq.output
    """,
    "nested_in_a_functional_model": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(3)])
        inp = keras.Input((5,))
        outer = keras.Model(inp, layers.Dense(1)(seq(inp)))
        x = seq.input
    """,
    "functional_model": """
        inp = keras.Input((5,))
        model = keras.Model(inp, layers.Dense(3)(inp))
        x = model.input
        o = model.output
    """,
    "passed_to_a_function_that_calls_it": """
        seq = keras.Sequential([keras.Input((5,)), layers.Dense(3)])

        def attach(m):
            return m(keras.Input((5,)))

        attach(seq)
        x = seq.input
    """,
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_keras_raises_and_the_engine_says_where(name: str) -> None:
    src = textwrap.dedent(RAISES[name])
    real, eng = run_real(src), run_engine(src)
    assert isinstance(real.error, AttributeError) and "has never been called" in str(real.error), real.error
    assert real.error_line in eng.error_lines, (real.error_line, eng.error_lines, eng.errors)
    assert any("has never been called" in e for e in eng.errors), eng.errors


@pytest.mark.parametrize("name", sorted(DEFINED))
def test_keras_defines_it_and_the_engine_is_quiet(name: str) -> None:
    src = textwrap.dedent(DEFINED[name])
    real, eng = run_real(src), run_engine(src)
    assert real.error is None, real.error
    assert not eng.errors, eng.errors
