"""Differential tests for the attention layers against real Keras."""

from __future__ import annotations

import random
import textwrap

import pytest

from oracle.harness import assert_agrees, run_engine, run_real


def assert_certain_error(source: str) -> None:
    real = run_real(source)
    assert real.error is not None, f"Keras accepted:\n{source}"
    engine = run_engine(source)
    assert engine.errors, f"engine silent where Keras raised {real.error!r}:\n{source}"


def agrees(source: str, names: list[str], quiet: bool = True) -> None:
    """assert_agrees on ``names``, each rebound on its own line (the harness reads only the
    first name of a tuple-unpacking target); with ``quiet`` also no engine error at all."""
    src = textwrap.dedent(source) + "".join(f"{n}_ = {n}\n" for n in names)
    if quiet:
        engine = run_engine(src)
        assert not engine.errors, f"{engine.errors}\n{src}"
    assert_agrees(src, [f"{n}_" for n in names])


def _data(shape: tuple[int | None, ...], eager: bool, batch: int = 2, dtype: str = "float32") -> str:
    if eager:
        return f'np.ones({(batch, *shape)!r}, dtype="{dtype}")'
    return f'keras.Input(shape={shape!r}, dtype="{dtype}")'


# ---------------------------------------------------------------------------------------------
# MultiHeadAttention


def _mha_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(7000 + seed)
    eager = rng.random() < 0.4
    heads, key_dim = rng.randint(1, 4), rng.randint(1, 8)
    tq, tv = rng.choice([1, 3, 5]), rng.choice([2, 3, 7])
    if not eager and rng.random() < 0.3:
        tq = None
    dq, dv, dk = rng.randint(2, 9), rng.randint(2, 9), rng.randint(2, 9)
    use_key = rng.random() < 0.4
    args = f"{heads}, {key_dim}"
    if rng.random() < 0.3:
        args += f", value_dim={rng.randint(1, 6)}"
    out_shape = rng.choice([None, None, 6, (2, 3)])
    if out_shape is not None:
        args += f", output_shape={out_shape!r}"
    if rng.random() < 0.2:
        args += ", dtype='float64'"
    scores = rng.random() < 0.5
    call = f"{_data((tq, dq), eager)}, {_data((tv, dv), eager)}"
    if use_key:
        call += f", key={_data((tv, dk), eager)}"
    if scores:
        call += ", return_attention_scores=True"
    if rng.random() < 0.3:
        call += ", use_causal_mask=True"
    names = ["y", "s"] if scores else ["y"]
    return f"{', '.join(names)} = layers.MultiHeadAttention({args})({call})\n", names


@pytest.mark.parametrize("seed", range(20))
def test_mha_random(seed: int) -> None:
    src, names = _mha_case(seed)
    agrees(src, names)


@pytest.mark.parametrize("eager", [False, True])
def test_mha_scores(eager: bool) -> None:
    # symbolic scores are (batch, heads, Tq, Tq) in Keras 3 (compute_output_spec), eager (.., Tq, Tv)
    agrees(
        f"""
        q = {_data((5, 16), eager)}
        v = {_data((7, 12), eager)}
        y, s = layers.MultiHeadAttention(num_heads=2, key_dim=8)(q, v, return_attention_scores=True)
        z, t = layers.MultiHeadAttention(3, 4, output_shape=(2, 5))(query=q, value=v, key=v, return_attention_scores=True)
        w = layers.MultiHeadAttention(3, 4)(q, q, attention_mask=None, return_attention_scores=False)
        """,
        ["y", "s", "z", "t", "w"],
    )


@pytest.mark.parametrize("eager", [False, True])
def test_mha_higher_rank(eager: bool) -> None:
    agrees(
        f"""
        q = {_data((5, 6, 16), eager)}
        v = {_data((7, 6, 12), eager)}
        y, s = layers.MultiHeadAttention(2, 8)(q, v, return_attention_scores=True)
        z = layers.MultiHeadAttention(2, 8, attention_axes=(1, 2))(q, {_data((7, 4, 12), eager)})
        """,
        ["y", "s", "z"],
    )


def test_mha_in_transformer_block() -> None:
    agrees(
        """
        inputs = keras.Input(shape=(32, 64))
        attn = layers.MultiHeadAttention(num_heads=4, key_dim=16, dropout=0.1)(inputs, inputs)
        x = layers.LayerNormalization(epsilon=1e-6)(layers.Add()([inputs, attn]))
        ff = layers.Dense(128, activation="relu")(x)
        ff = layers.Dense(64)(ff)
        out = layers.LayerNormalization(epsilon=1e-6)(x + ff)
        pooled = layers.GlobalAveragePooling1D()(out)
        """,
        ["attn", "x", "out", "pooled"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "y = layers.MultiHeadAttention(2, 8)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12)), keras.Input(shape=(6, 3)))",
        "y = layers.MultiHeadAttention(2, 8)(np.ones((2, 5, 16)), np.ones((2, 7, 12)), np.ones((2, 6, 12)))",
        "y = layers.MultiHeadAttention(0, 8)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12)))",
        "y = layers.MultiHeadAttention(2, -1)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12)))",
        "y = layers.MultiHeadAttention(2, 8.0)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12)))",
    ],
)
def test_mha_errors(src: str) -> None:
    assert_certain_error(src)


def test_mha_undefined_features_not_claimed() -> None:
    src = """
    y = layers.MultiHeadAttention(2, 8)(keras.Input(shape=(5, None)), keras.Input(shape=(7, 12)))
    """
    assert run_real(src).error is not None
    engine = run_engine(src)
    assert not engine.errors and (engine.values.get("y") is None or engine.values["y"].shape is None)


# ---------------------------------------------------------------------------------------------
# GroupQueryAttention


@pytest.mark.parametrize("eager", [False, True])
def test_group_query_attention(eager: bool) -> None:
    agrees(
        f"""
        q = {_data((5, 16), eager)}
        v = {_data((7, 16), eager)}
        y, s = layers.GroupQueryAttention(8, 4, 2)(q, v, return_attention_scores=True)
        z = layers.GroupQueryAttention(head_dim=4, num_query_heads=6, num_key_value_heads=3)(q, v, key=v)
        """,
        ["y", "s", "z"],
    )


def test_group_query_attention_errors() -> None:
    assert_certain_error(
        "y = layers.GroupQueryAttention(8, 4, 3)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 16)))"
    )
    assert_certain_error(
        "y = layers.GroupQueryAttention(8, 4, 2)(keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12)))"
    )


# ---------------------------------------------------------------------------------------------
# Attention / AdditiveAttention


def _attention_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(8000 + seed)
    cls = rng.choice(["Attention", "AdditiveAttention"])
    eager = rng.random() < 0.5
    tq, tv = rng.choice([1, 4, 6]), rng.choice([2, 3, 5])
    dq = rng.randint(2, 8)
    dv = rng.randint(2, 8)
    if eager:
        dk = dq
    else:
        dk = rng.choice([dq, rng.randint(2, 8)])
        if rng.random() < 0.3:
            tq = None
    ctor = ""
    if cls == "Attention":
        ctor = rng.choice(["", "use_scale=True", "score_mode='concat'", "True, 'dot'"])
    else:
        ctor = rng.choice(["", "use_scale=False", "False"])
    items = [_data((tq, dq), eager), _data((tv, dv), eager)]
    if rng.random() < 0.5:
        items.append(_data((tv, dk), eager))
    elif eager:
        items[1] = _data((tv, dq), eager)
    scores = rng.random() < 0.5
    kw = ", return_attention_scores=True" if scores else ""
    if rng.random() < 0.3:
        kw += ", use_causal_mask=True"
    names = ["y", "s"] if scores else ["y"]
    return f"{', '.join(names)} = layers.{cls}({ctor})([{', '.join(items)}]{kw})\n", names


@pytest.mark.parametrize("seed", range(20))
def test_attention_random(seed: int) -> None:
    src, names = _attention_case(seed)
    agrees(src, names)


def test_attention_examples() -> None:
    agrees(
        """
        q = keras.Input(shape=(5, 16))
        v = keras.Input(shape=(7, 12))
        y, s = layers.Attention()([q, v], return_attention_scores=True)
        z, t = layers.AdditiveAttention()([q, v, keras.Input(shape=(7, 16))], return_attention_scores=True)
        a = layers.Attention(dtype="float64")([q, q])
        b = layers.Attention()([keras.Input(shape=(16,)), keras.Input(shape=(16,))])
        c = layers.Attention()([keras.Input(shape=(3, 5, 16)), keras.Input(shape=(3, 7, 16))])
        d = layers.AdditiveAttention(use_scale=False)([keras.Input(shape=(5, None)), v])
        e = layers.Attention()(inputs=[q, v])
        """,
        ["y", "s", "z", "t", "a", "b", "c", "d", "e"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "y = layers.Attention()([keras.Input(shape=(5, 16))])",
        "y = layers.Attention()(keras.Input(shape=(5, 16)))",
        "q = keras.Input(shape=(5, 16))\ny = layers.Attention()([q, q, q, q])",
        "y = layers.Attention(score_mode='x')([keras.Input(shape=(5, 16)), keras.Input(shape=(5, 16))])",
        "y = layers.Attention()([np.ones((2, 5, 16)), np.ones((2, 7, 12))])",
        "y = layers.Attention()([np.ones((2, 5, 16)), np.ones((2, 7, 12)), np.ones((2, 6, 16))])",
        "y = layers.AdditiveAttention()([np.ones((2, 5, 16)), np.ones((2, 7, 12))])",
        "y = layers.Attention()([np.ones((2, 5, 16), 'int32'), np.ones((2, 7, 16), 'int32')])",
    ],
)
def test_attention_errors(src: str) -> None:
    assert_certain_error(src)


def test_attention_symbolic_mismatch_is_quiet() -> None:
    # Keras' compute_output_spec does not check the feature sizes of symbolic inputs
    agrees(
        """
        y, s = layers.Attention()([keras.Input(shape=(5, 16)), keras.Input(shape=(7, 12))], return_attention_scores=True)
        """,
        ["y", "s"],
    )
