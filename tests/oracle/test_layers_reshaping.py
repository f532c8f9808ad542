"""Differential tests of the reshaping layer rules (layers/reshaping.py) against real Keras.

A deterministic random sample per layer (Flatten over ranks and unknown dims; Reshape to
random factorisations with and without -1, and to wrong sizes; Permute; RepeatVector;
UpSampling; ZeroPadding and Cropping in their int / tuple / tuple-of-tuples forms, sometimes
cropping everything away) on ``keras.Input``s and eager tensors; dtype behaviour (Flatten,
Reshape and Permute keep an int dtype, the others only when run eagerly); the certain errors.
The helpers (`check`, `check_eager`) are those of test_layers_conv.
"""

from __future__ import annotations

import math
import os
import random
from typing import Any

import pytest

from oracle.harness import compare, run_engine, run_real
from oracle.test_layers_conv import check, check_eager, engine_errors

SEED = int(os.environ.get("SHAPELENS_SEED", "31337"))
PER_CLASS = int(os.environ.get("SHAPELENS_SAMPLES", "40"))


def _spatial(rng: random.Random, rank: int, none: float = 0.12) -> tuple[int | None, ...]:
    return tuple(None if rng.random() < none else rng.choice([1, 2, 3, 4, 5, 6, 7, 9]) for _ in range(rank))


def _with_channels(spatial: tuple[int | None, ...], channels: int, fmt: str | None) -> tuple[int | None, ...]:
    return (channels, *spatial) if fmt == "channels_first" else (*spatial, channels)


def _fmt(rng: random.Random, kw: dict[str, Any]) -> str | None:
    fmt = rng.choice([None, "channels_last", "channels_first"])
    if fmt:
        kw["data_format"] = fmt
    return fmt


def _pad_arg(rng: random.Random, rank: int, hi: int) -> Any:
    form = rng.random()
    if form < 0.3:
        return rng.randint(0, hi)
    if form < 0.55:
        return tuple(rng.randint(0, hi) for _ in range(rank))
    if form < 0.9:
        return tuple((rng.randint(0, hi), rng.randint(0, hi)) for _ in range(rank))
    # mixed: some axes symmetric, some (before, after)
    return tuple(
        rng.randint(0, hi) if rng.random() < 0.5 else (rng.randint(0, hi), rng.randint(0, hi))
        for _ in range(rank)
    )


def _factor(rng: random.Random, n: int, parts: int) -> list[int]:
    """``parts`` positive ints whose product is ``n``."""
    out = [1] * parts
    m = n
    p = 2
    while m > 1:
        while m % p == 0:
            out[rng.randrange(parts)] *= p
            m //= p
        p += 1
    return out


def gen(rng: random.Random, name: str) -> tuple[str, tuple[int | None, ...]]:
    """(layer expression, input shape without batch)."""
    kw: dict[str, Any] = {}
    if name == "Flatten":
        if rng.random() < 0.4:
            _fmt(rng, kw)
        shape = _spatial(rng, rng.randint(0, 4), 0.15)
        return f"layers.Flatten({_args(kw)})", shape
    if name == "Reshape":
        shape = _spatial(rng, rng.randint(1, 4), 0.1)
        known = [d for d in shape if d is not None]
        size = math.prod(known) if known else 6
        target: list[int] = _factor(rng, size, rng.randint(1, 4))
        if rng.random() < 0.5:
            target[rng.randrange(len(target))] = -1
        if rng.random() < 0.15:
            target[rng.randrange(len(target))] += 1  # usually a wrong element count
        return f"layers.Reshape({tuple(target)!r})", shape
    if name == "Permute":
        rank = rng.randint(1, 4)
        perm = list(range(1, rank + 1))
        rng.shuffle(perm)
        shape = _spatial(rng, rank if rng.random() < 0.9 else rank + 1)
        return f"layers.Permute({tuple(perm)!r})", shape
    if name == "RepeatVector":
        shape = _spatial(rng, 1 if rng.random() < 0.9 else 2)
        return f"layers.RepeatVector({rng.randint(1, 5)})", shape
    rank = int(name[-2])
    if name.startswith("UpSampling"):
        if rank == 1:
            if rng.random() < 0.7:
                kw["size"] = rng.randint(1, 4)
            fmt = None
        else:
            if rng.random() < 0.7:
                kw["size"] = (
                    rng.randint(1, 3) if rng.random() < 0.5 else tuple(rng.randint(1, 3) for _ in range(rank))
                )
            fmt = _fmt(rng, kw)
            if rank == 2 and rng.random() < 0.3:
                kw["interpolation"] = rng.choice(["nearest", "bilinear", "bicubic"])
        return f"layers.{name}({_args(kw)})", _with_channels(_spatial(rng, rank), rng.randint(1, 4), fmt)
    if name.startswith("ZeroPadding"):
        if rng.random() < 0.85:
            kw["padding"] = (
                rng.randint(0, 3)
                if rank == 1 and rng.random() < 0.5
                else ((rng.randint(0, 3), rng.randint(0, 3)) if rank == 1 else _pad_arg(rng, rank, 3))
            )
        fmt = _fmt(rng, kw)
        return f"layers.{name}({_args(kw)})", _with_channels(_spatial(rng, rank), rng.randint(1, 4), fmt)
    assert name.startswith("Cropping")
    fmt = None
    if rng.random() < 0.85:
        if rank == 1:
            kw["cropping"] = (
                rng.randint(0, 3) if rng.random() < 0.5 else (rng.randint(0, 3), rng.randint(0, 3))
            )
        else:
            kw["cropping"] = _pad_arg(rng, rank, 2)
    if rank > 1:
        fmt = _fmt(rng, kw)
    return f"layers.{name}({_args(kw)})", _with_channels(_spatial(rng, rank), rng.randint(1, 4), fmt)


def _args(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


NAMES = [
    "Flatten",
    "Reshape",
    "Permute",
    "RepeatVector",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
]


def _sample() -> list[Any]:
    rng = random.Random(SEED)
    cases = []
    for name in NAMES:
        for i in range(PER_CLASS):
            expr, shape = gen(rng, name)
            eager = rng.random() < 0.3 and None not in shape
            x = f"x = tf.zeros({(2, *shape)!r})" if eager else f"x = keras.Input(shape={shape!r})"
            cases.append(pytest.param(f"{x}\ny = {expr}(x)\n", id=f"{name}-{i}"))
    return cases


@pytest.mark.parametrize("src", _sample())
def test_generated(src: str) -> None:
    check(src)


# ---------------------------------------------------------------------------------------------
# edge cases


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ("Flatten()", (3, 4, 5)),
        ("Flatten()", (None, 4)),
        ("Flatten(data_format='channels_first')", (3, 4, 5)),
        ("Reshape((-1,))", (3, 4)),
        ("Reshape((2, -1, 3))", (4, 3)),
        ("Reshape([3, 4])", (12,)),
        ("Reshape((-1, 3))", (None, 3)),
        ("Reshape((6,))", (None, 3)),  # Keras cannot check: no error
        ("Reshape((None, 3))", (2, 3)),
        ("Reshape(target_shape=(1, 1, 12))", (2, 2, 3)),
        ("Reshape((-1,))", (0, 3)),
        ("Permute((1,))", (5,)),
        ("Permute((3, 1, 2))", (2, None, 4)),
        ("RepeatVector(1)", (7,)),
        ("RepeatVector(n=4)", (None,)),
        ("UpSampling1D(1)", (5, 2)),
        ("UpSampling2D(3, 'channels_first')", (2, 4, 5)),
        ("UpSampling2D((2, 3), interpolation='bilinear')", (None, 5, 2)),
        ("UpSampling3D((1, 2, 3))", (2, 3, 4, 1)),
        ("ZeroPadding1D((0, 3))", (4, 2)),
        ("ZeroPadding2D(((1, 2), (0, 3)))", (3, 5, 1)),
        ("ZeroPadding2D((1, 2), 'channels_first')", (1, 3, 5)),
        ("ZeroPadding2D(((1, 2), 3))", (3, 5, 1)),
        ("ZeroPadding2D(0)", (None, None, 1)),
        ("ZeroPadding3D((1, 2, 3))", (3, 5, 1, 2)),
        ("ZeroPadding3D(((0, 1), (2, 0), (1, 1)), data_format='channels_first')", (2, 3, 5, 1)),
        ("Cropping1D(2)", (5, 5)),
        ("Cropping1D((0, 4))", (5, 5)),
        ("Cropping2D(((1, 0), (0, 2)), data_format='channels_first')", (1, 4, 5)),
        ("Cropping2D((1, 2))", (None, 5, 1)),
        ("Cropping3D()", (3, 3, 3, 1)),
        ("Cropping3D(((0, 1), 0, (1, 1)))", (None, 2, 4, 1)),
    ],
)
def test_edges(layer: str, shape: tuple[int | None, ...]) -> None:
    check(f"x = keras.Input(shape={shape})\ny = layers.{layer}(x)\n")


def test_flatten_rank_one() -> None:
    check("x = keras.Input(batch_shape=(5,))\ny = layers.Flatten()(x)\n")


def test_chain_inside_sequential() -> None:
    check(
        """
        x = keras.Input(shape=(28, 28))
        model = keras.Sequential([
            keras.Input((28, 28)),
            layers.Reshape((28, 28, 1)),
            layers.ZeroPadding2D(2),
            layers.Cropping2D(((1, 1), (2, 2))),
            layers.UpSampling2D(),
            layers.Permute((2, 1, 3)),
            layers.Flatten(),
            layers.RepeatVector(3),
        ])
        y = model(x)
        """,
    )


@pytest.mark.parametrize("in_dtype", ["float64", "float16", "int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("layer_dtype", [None, "float64", "mixed_float16"])
def test_dtypes_symbolic(in_dtype: str, layer_dtype: str | None) -> None:
    dt = "" if layer_dtype is None else f"dtype={layer_dtype!r}"
    c = ", " + dt if dt else ""
    check(
        f"""
        x = keras.Input(shape=(4, 6), dtype={in_dtype!r})
        a = layers.Flatten({dt})(x)
        b = layers.Reshape((6, 4){c})(x)
        c = layers.Permute((2, 1){c})(x)
        d = layers.RepeatVector(2{c})(a)
        e = layers.UpSampling1D(2{c})(x)
        f = layers.ZeroPadding1D(1{c})(x)
        g = layers.Cropping1D(1{c})(x)
        """,
        ("x", "a", "b", "c", "d", "e", "f", "g"),
    )


@pytest.mark.parametrize(
    ("name", "kw", "shape"),
    [
        ("Flatten", {}, (2, 4, 3)),
        ("Reshape", {"target_shape": (3, 4)}, (2, 4, 3)),
        ("Permute", {"dims": (2, 1)}, (2, 4, 3)),
        ("RepeatVector", {"n": 3}, (2, 4)),
        ("UpSampling1D", {}, (2, 4, 3)),
        ("UpSampling2D", {}, (2, 4, 4, 3)),
        ("UpSampling2D", {"interpolation": "bilinear"}, (2, 4, 4, 3)),
        ("UpSampling2D", {"interpolation": "BICUBIC"}, (2, 4, 4, 3)),
        ("UpSampling3D", {"dtype": "float64"}, (2, 4, 4, 4, 3)),
        ("ZeroPadding2D", {}, (2, 4, 4, 3)),
        ("Cropping3D", {}, (2, 4, 4, 4, 3)),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float16", "int8", "int32", "int64", "uint8", "bool"])
def test_dtypes_eager(name: str, kw: dict[str, Any], shape: tuple[int, ...], dtype: str) -> None:
    # tf.image.resize rejects bool: the engine need not say so, only claim nothing
    check_eager(name, kw, shape, dtype, must_flag=False)


def test_negative_int_zero_padding_is_left_unknown() -> None:
    # ZeroPadding2D/3D take a negative int without complaint; the symbolic output shrinks,
    # tf.pad rejects it eagerly: the engine claims nothing either way
    check("x = keras.Input(shape=(3, 5, 1))\ny = layers.ZeroPadding2D(-1)(x)\n", exact=False)
    check_eager("ZeroPadding2D", {"padding": -1}, (1, 3, 5, 1), unknown=True)


def test_unknown_config_is_silent() -> None:
    src = """
    import os
    n = int(os.environ.get("SHAPELENS_NO_SUCH_VAR", "3"))
    x = keras.Input(shape=(4, 6))
    a = layers.Reshape((n, -1))(x)
    b = layers.RepeatVector(n)(layers.Flatten()(x))
    c = layers.UpSampling1D(n)(x)
    """
    verdict = compare(src, ["x", "a", "b", "c"])
    assert verdict.ok, verdict.detail
    values = run_engine(src).values
    assert not engine_errors(src)
    assert values["a"].shape == (None, None, None)
    assert values["b"].shape == (None, None, 24)
    assert values["c"].shape == (None, None, 6)


# ---------------------------------------------------------------------------------------------
# certain errors


@pytest.mark.parametrize(
    ("bad", "good", "words"),
    [
        (
            "layers.Reshape((5,))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((6,))(keras.Input(shape=(2, 3)))",
            "(None, 2, 3)",
        ),
        (
            "layers.Reshape((-1, 4))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((-1, 3))(keras.Input(shape=(2, 3)))",
            "divisible",
        ),
        (
            "layers.Reshape((0, 3))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((2, 3))(keras.Input(shape=(2, 3)))",
            "elements",
        ),
        (
            "layers.Reshape((-1, 0))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((-1, 1))(keras.Input(shape=(2, 3)))",
            "divisible",
        ),
        (
            "layers.Reshape((-1, -1))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((-1, 1))(keras.Input(shape=(2, 3)))",
            "-1",
        ),
        (
            "layers.Reshape((-2, 3))(keras.Input(shape=(2, 3)))",
            "layers.Reshape((-1, 3))(keras.Input(shape=(2, 3)))",
            "-1",
        ),
        (
            "layers.Reshape(6)(keras.Input(shape=(2, 3)))",
            "layers.Reshape((6,))(keras.Input(shape=(2, 3)))",
            "target_shape",
        ),
        (
            "layers.Reshape((5,))(tf.zeros((4, 2, 3)))",
            "layers.Reshape((6,))(tf.zeros((4, 2, 3)))",
            "(4, 2, 3)",
        ),
        (
            "layers.Flatten()(keras.Input(batch_shape=()))",
            "layers.Flatten()(keras.Input(batch_shape=(3,)))",
            "rank",
        ),
        (
            "layers.Permute((2, 3))(keras.Input(shape=(2, 3)))",
            "layers.Permute((2, 1))(keras.Input(shape=(2, 3)))",
            "permutation",
        ),
        (
            "layers.Permute((2, 1))(keras.Input(shape=(2, 3, 4)))",
            "layers.Permute((2, 1, 3))(keras.Input(shape=(2, 3, 4)))",
            "rank",
        ),
        (
            "layers.RepeatVector(3)(keras.Input(shape=(2, 3)))",
            "layers.RepeatVector(3)(keras.Input(shape=(6,)))",
            "rank",
        ),
        (
            "layers.RepeatVector(0)(keras.Input(shape=(2,)))",
            "layers.RepeatVector(1)(keras.Input(shape=(2,)))",
            "positive",
        ),
        (
            "layers.RepeatVector(2.0)(keras.Input(shape=(2,)))",
            "layers.RepeatVector(2)(keras.Input(shape=(2,)))",
            "integer",
        ),
        (
            "layers.UpSampling1D((3,))(keras.Input(shape=(2, 3)))",
            "layers.UpSampling1D(3)(keras.Input(shape=(2, 3)))",
            "integer",
        ),
        (
            "layers.UpSampling1D()(keras.Input(shape=(2,)))",
            "layers.UpSampling1D()(keras.Input(shape=(2, 1)))",
            "rank",
        ),
        (
            "layers.UpSampling2D((3,))(keras.Input(shape=(2, 3, 3)))",
            "layers.UpSampling2D((3, 1))(keras.Input(shape=(2, 3, 3)))",
            "size",
        ),
        (
            "layers.UpSampling3D(0)(keras.Input(shape=(2, 3, 3, 1)))",
            "layers.UpSampling3D(1)(keras.Input(shape=(2, 3, 3, 1)))",
            "size",
        ),
        (
            "layers.ZeroPadding1D(-1)(keras.Input(shape=(3, 5)))",
            "layers.ZeroPadding1D(0)(keras.Input(shape=(3, 5)))",
            "padding",
        ),
        (
            "layers.ZeroPadding2D((1, 2, 3))(keras.Input(shape=(3, 5, 1)))",
            "layers.ZeroPadding3D((1, 2, 3))(keras.Input(shape=(3, 5, 1, 1)))",
            "padding",
        ),
        (
            "layers.ZeroPadding2D(((1, 2, 3), 1))(keras.Input(shape=(3, 5, 1)))",
            "layers.ZeroPadding2D(((1, 2), 1))(keras.Input(shape=(3, 5, 1)))",
            "padding",
        ),
        (
            "layers.ZeroPadding3D(1)(keras.Input(shape=(3, 5, 1)))",
            "layers.ZeroPadding2D(1)(keras.Input(shape=(3, 5, 1)))",
            "rank",
        ),
        (
            "layers.Cropping1D(2)(keras.Input(shape=(4, 5)))",
            "layers.Cropping1D(2)(keras.Input(shape=(5, 5)))",
            "(None, 4, 5)",
        ),
        (
            "layers.Cropping1D((1, 4))(tf.zeros((2, 5, 5)))",
            "layers.Cropping1D((0, 4))(tf.zeros((2, 5, 5)))",
            "(2, 5, 5)",
        ),
        (
            "layers.Cropping2D((2, 1))(keras.Input(shape=(4, 5, 1)))",
            "layers.Cropping2D((1, 2))(keras.Input(shape=(4, 5, 1)))",
            "smaller",
        ),
        (
            "layers.Cropping2D(-1)(keras.Input(shape=(4, 5, 1)))",
            "layers.Cropping2D(1)(keras.Input(shape=(4, 5, 1)))",
            "negative",
        ),
        (
            "layers.Cropping3D(((2, 1), 1, 1))(keras.Input(shape=(3, 5, 4, 1)))",
            "layers.Cropping3D(((1, 1), 1, 1))(keras.Input(shape=(3, 5, 4, 1)))",
            "smaller",
        ),
        (
            "layers.Cropping2D((1, 1), data_format='channels_first')(keras.Input(shape=(4, 2, 5)))",
            "layers.Cropping2D((0, 1), data_format='channels_first')(keras.Input(shape=(4, 2, 5)))",
            "(None, 4, 2, 5)",
        ),
    ],
)
def test_certain_errors(bad: str, good: str, words: str) -> None:
    bad_src = f"y = {bad}\n"
    real = run_real(bad_src, ["y"])
    assert real.error is not None, f"Keras accepted {bad}"
    errors = engine_errors(bad_src)
    assert errors, f"engine quiet on {bad}"
    assert any(words in e for e in errors), errors
    good_src = f"y = {good}\n"
    assert run_real(good_src, ["y"]).error is None, f"Keras rejected {good}"
    assert not engine_errors(good_src), f"false alarm on {good}: {engine_errors(good_src)}"
    check(f"x = 0\n{good_src}")
