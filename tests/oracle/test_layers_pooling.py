"""Differential tests of the pooling layer rules (layers/pooling.py) against real Keras.

A deterministic random sample of windowed-pooling configurations (pool_size, strides
defaulting to pool_size or larger than it, padding, data_format, odd / size-1 / unknown
sizes) on ``keras.Input``s and eager tensors; global and adaptive pooling over ranks, formats
and keepdims; eager dtype behaviour straight through the rules; and the certain errors.
The helpers (`check`, `check_eager`) are those of test_layers_conv.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from oracle.harness import compare, run_engine, run_real
from oracle.test_layers_conv import check, check_eager, engine_errors

SEED = int(os.environ.get("SHAPELENS_SEED", "4242"))
PER_CLASS = int(os.environ.get("SHAPELENS_SAMPLES", "40"))

WINDOWED = {
    "MaxPooling1D": 1,
    "MaxPooling2D": 2,
    "MaxPooling3D": 3,
    "AveragePooling1D": 1,
    "AveragePooling2D": 2,
    "AveragePooling3D": 3,
}
GLOBAL = {
    "GlobalMaxPooling1D": 1,
    "GlobalMaxPooling2D": 2,
    "GlobalMaxPooling3D": 3,
    "GlobalAveragePooling1D": 1,
    "GlobalAveragePooling2D": 2,
    "GlobalAveragePooling3D": 3,
}
ADAPTIVE = {
    "AdaptiveMaxPooling1D": 1,
    "AdaptiveMaxPooling2D": 2,
    "AdaptiveMaxPooling3D": 3,
    "AdaptiveAveragePooling1D": 1,
    "AdaptiveAveragePooling2D": 2,
    "AdaptiveAveragePooling3D": 3,
}


def _ints(rng: random.Random, rank: int, lo: int, hi: int) -> int | tuple[int, ...]:
    if rng.random() < 0.5:
        return rng.randint(lo, hi)
    return tuple(rng.randint(lo, hi) for _ in range(rank))


def _tuple(v: int | tuple[int, ...], rank: int) -> tuple[int, ...]:
    return v if isinstance(v, tuple) else (v,) * rank


def gen_windowed(rng: random.Random, name: str) -> tuple[dict[str, Any], tuple[int | None, ...]]:
    rank = WINDOWED[name]
    kw: dict[str, Any] = {}
    if name.startswith("Average") or rng.random() < 0.8:
        kw["pool_size"] = _ints(rng, rank, 1, 4)
    if rng.random() < 0.5:
        kw["strides"] = _ints(rng, rank, 1, 5)
    if rng.random() < 0.7:
        kw["padding"] = rng.choice(["valid", "same", "valid", "same", "SAME"])
    fmt = rng.choice([None, "channels_last", "channels_first"])
    if fmt:
        kw["data_format"] = fmt
    spatial = tuple(
        None if rng.random() < 0.12 else rng.choice([1, 2, 3, 4, 5, 7, 8, 13]) for _ in range(rank)
    )
    channels = rng.randint(1, 5)
    shape = (channels, *spatial) if fmt == "channels_first" else (*spatial, channels)
    return kw, shape


def _too_small(name: str, kw: dict[str, Any], shape: tuple[int | None, ...]) -> bool:
    """'valid' pooling with a window longer than the input: TF's eager answer is not Keras'."""
    rank = WINDOWED[name]
    if kw.get("padding", "valid").lower() != "valid":
        return False
    default = 2
    pool = _tuple(kw.get("pool_size", default), rank)
    spatial = shape[1:] if kw.get("data_format") == "channels_first" else shape[:-1]
    return any(isinstance(d, int) and d < k for d, k in zip(spatial, pool))


def _args(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


def _windowed_sample() -> list[Any]:
    rng = random.Random(SEED)
    cases = []
    for name in WINDOWED:
        for i in range(PER_CLASS):
            kw, shape = gen_windowed(rng, name)
            eager = rng.random() < 0.3 and None not in shape and not _too_small(name, kw, shape)
            x = f"x = tf.zeros({(2, *shape)!r})" if eager else f"x = keras.Input(shape={shape!r})"
            cases.append(pytest.param(f"{x}\ny = layers.{name}({_args(kw)})(x)\n", id=f"{name}-{i}"))
    return cases


def _global_sample() -> list[Any]:
    rng = random.Random(SEED + 1)
    cases = []
    for name, rank in {**GLOBAL, **ADAPTIVE}.items():
        for i in range(PER_CLASS // 4):
            kw: dict[str, Any] = {}
            if name.startswith("Adaptive"):
                kw["output_size"] = _ints(rng, rank, 1, 5)
            elif rng.random() < 0.6:
                kw["keepdims"] = rng.random() < 0.5
            fmt = rng.choice([None, "channels_last", "channels_first"])
            if fmt:
                kw["data_format"] = fmt
            spatial = tuple(None if rng.random() < 0.15 else rng.randint(1, 9) for _ in range(rank))
            shape = (3, *spatial) if fmt == "channels_first" else (*spatial, 3)
            eager = rng.random() < 0.3 and None not in shape
            x = f"x = tf.zeros({(2, *shape)!r})" if eager else f"x = keras.Input(shape={shape!r})"
            cases.append(pytest.param(f"{x}\ny = layers.{name}({_args(kw)})(x)\n", id=f"{name}-{i}"))
    return cases


# ---------------------------------------------------------------------------------------------
# generated configurations


@pytest.mark.parametrize("src", _windowed_sample())
def test_generated_windowed(src: str) -> None:
    check(src)


@pytest.mark.parametrize("src", _global_sample())
def test_generated_global_and_adaptive(src: str) -> None:
    check(src)


def _eager_sample() -> list[Any]:
    rng = random.Random(SEED + 2)
    cases = []
    for name in WINDOWED:
        i = 0
        while i < PER_CLASS // 3:
            kw, shape = gen_windowed(rng, name)
            if None in shape:
                continue
            cases.append(pytest.param(name, kw, (2, *shape), _too_small(name, kw, shape), id=f"{name}-{i}"))
            i += 1
    return cases


@pytest.mark.parametrize(("name", "kw", "shape", "unknown"), _eager_sample())
def test_generated_eager(name: str, kw: dict[str, Any], shape: tuple[int, ...], unknown: bool) -> None:
    check_eager(name, kw, shape, unknown=unknown)


# ---------------------------------------------------------------------------------------------
# edge cases


@pytest.mark.parametrize(
    "layer",
    [
        "layers.MaxPooling1D()",
        "layers.MaxPooling1D(3)",
        "layers.MaxPooling1D(2, 5)",
        "layers.MaxPooling1D(3, 1, 'same')",
        "layers.MaxPooling1D(4, padding='same')",
        "layers.AveragePooling1D(3, strides=2, padding='same')",
        "layers.AveragePooling1D(1)",
        "layers.MaxPooling1D(2, data_format='channels_first')",
        "layers.MaxPool1D(pool_size=2)",
        "layers.AvgPool1D(pool_size=(2,), strides=(3,))",
    ],
)
@pytest.mark.parametrize("length", [1, 4, 9, None])
def test_1d_edges(layer: str, length: int | None) -> None:
    shape = (5, length) if "channels_first" in layer else (length, 5)
    check(f"x = keras.Input(shape={shape})\ny = {layer}(x)\n")


@pytest.mark.parametrize(
    "layer",
    [
        "layers.MaxPooling2D()",
        "layers.MaxPooling2D((3, 1), strides=(1, 4))",
        "layers.MaxPooling2D(pool_size=3, strides=2, padding='same')",
        "layers.AveragePooling2D((2, 3), data_format='channels_first')",
        "layers.MaxPooling3D()",
        "layers.MaxPooling3D((1, 2, 3), padding='same')",
        "layers.AveragePooling3D(2, (1, 2, 3), 'valid', 'channels_first')",
        "layers.MaxPool2D()",
        "layers.AvgPool2D(2)",
        "layers.MaxPool3D(2)",
        "layers.AvgPool3D(1)",
    ],
)
@pytest.mark.parametrize("size", [3, 8, None])
def test_nd_edges(layer: str, size: int | None) -> None:
    rank = 3 if "3D" in layer else 2
    spatial = (size,) * rank
    shape = (4, *spatial) if "channels_first" in layer else (*spatial, 4)
    check(f"x = keras.Input(shape={shape})\ny = {layer}(x)\n")


@pytest.mark.parametrize(
    ("layer", "shape"),
    [
        ("GlobalMaxPool1D()", (7, 3)),
        ("GlobalAvgPool1D(keepdims=True)", (7, 3)),
        ("GlobalMaxPool2D('channels_first', True)", (3, 7, 5)),
        ("GlobalAvgPool2D()", (None, None, 3)),
        ("GlobalMaxPool3D(keepdims=True)", (2, 3, 4, 5)),
        ("GlobalAvgPool3D(data_format='channels_first')", (5, None, 3, 4)),
        ("GlobalAveragePooling1D(data_format='channels_first', keepdims=True)", (4, 9)),
        ("AdaptiveAveragePooling2D((2, 3))", (None, None, 3)),
        ("AdaptiveMaxPooling1D(4, data_format='channels_first')", (3, 9)),
        ("AdaptiveMaxPooling3D(1)", (4, 5, 6, 2)),
    ],
)
def test_global_and_adaptive_edges(layer: str, shape: tuple[int | None, ...]) -> None:
    check(f"x = keras.Input(shape={shape})\ny = layers.{layer}(x)\n")


def test_global_average_with_mask() -> None:
    check(
        """
        x = keras.Input(shape=(6, 4))
        m = keras.Input(shape=(6,), dtype="bool")
        y = layers.GlobalAveragePooling1D()(x, mask=m)
        """,
        ("x", "m", "y"),
    )


def test_inside_sequential() -> None:
    check(
        """
        x = keras.Input(shape=(32, 32, 3))
        model = keras.Sequential([
            keras.Input((32, 32, 3)),
            layers.MaxPooling2D(),
            layers.AveragePooling2D(3, strides=2, padding="same"),
            layers.GlobalMaxPooling2D(keepdims=True),
        ])
        y = model(x)
        """,
    )


@pytest.mark.parametrize("in_dtype", ["float64", "float16", "int32", "uint8", "bool"])
@pytest.mark.parametrize("layer_dtype", [None, "float64", "mixed_float16"])
def test_dtypes_symbolic(in_dtype: str, layer_dtype: str | None) -> None:
    dt = "" if layer_dtype is None else f", dtype={layer_dtype!r}"
    check(
        f"""
        x = keras.Input(shape=(8, 8, 3), dtype={in_dtype!r})
        a = layers.MaxPooling2D(2{dt})(x)
        b = layers.AveragePooling2D(2{dt})(x)
        c = layers.GlobalMaxPooling2D({dt.lstrip(", ")})(x)
        d = layers.GlobalAveragePooling2D({dt.lstrip(", ")})(x)
        e = layers.AdaptiveMaxPooling2D(2{dt})(x)
        """,
        ("x", "a", "b", "c", "d", "e"),
    )


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("MaxPooling1D", {}),
        ("MaxPooling2D", {}),
        ("MaxPooling3D", {}),
        ("AveragePooling1D", {"pool_size": 2}),
        ("AveragePooling3D", {"pool_size": 2}),
        ("GlobalMaxPooling2D", {}),
        ("GlobalAveragePooling1D", {}),
        ("GlobalAveragePooling3D", {"dtype": "float64"}),
        ("MaxPooling2D", {"dtype": "float64"}),
    ],
)
@pytest.mark.parametrize("dtype", ["float64", "float16", "int8", "int32", "int64", "uint8", "uint16", "bool"])
def test_dtypes_eager(name: str, kw: dict[str, Any], dtype: str) -> None:
    rank = int(name[-2])
    check_eager(name, kw, (2, *(4,) * rank, 3), dtype)


def test_numpy_inputs() -> None:
    check("x = np.ones((1, 8, 8, 3), dtype=int)\ny = layers.MaxPooling2D()(x)\n")
    check("x = np.ones((1, 8, 8, 3), dtype=int)\ny = layers.GlobalAveragePooling2D()(x)\n")
    src = "x = np.ones((1, 8, 8, 3), dtype=int)\ny = layers.AveragePooling2D(2)(x)\n"
    check(src)
    assert any("dtype int64" in e for e in engine_errors(src))


def test_eager_uppercase_padding_is_fine() -> None:
    # Keras' symbolic path rejects 'SAME'; eagerly it goes straight to TF, which accepts it
    check_eager("MaxPooling2D", {"pool_size": 2, "padding": "SAME"}, (1, 5, 5, 2))
    check_eager("AveragePooling1D", {"pool_size": 3, "padding": "Valid"}, (1, 7, 2))


def test_eager_window_longer_than_input_is_left_unknown() -> None:
    check_eager("MaxPooling2D", {"pool_size": 4}, (1, 3, 9, 2), unknown=True)
    check_eager("MaxPooling2D", {"pool_size": 4, "strides": 1}, (1, 2, 9, 2), unknown=True)


def test_unknown_pool_size_is_silent() -> None:
    src = """
    import os
    p = int(os.environ.get("SHAPELENS_NO_SUCH_VAR", "2"))
    x = keras.Input(shape=(8, 8, 3))
    y = layers.MaxPooling2D(p)(x)
    """
    verdict = compare(src, ["x", "y"])
    assert verdict.ok, verdict.detail
    assert not engine_errors(src)
    assert run_engine(src).values["y"].shape == (None, None, None, 3)


# ---------------------------------------------------------------------------------------------
# certain errors


@pytest.mark.parametrize(
    ("bad", "good", "words"),
    [
        (
            "layers.MaxPooling2D()(keras.Input(shape=(8, 3)))",
            "layers.MaxPooling1D()(keras.Input(shape=(8, 3)))",
            "rank",
        ),
        (
            "layers.MaxPooling2D()(keras.Input(shape=(8, 8, 8, 3)))",
            "layers.MaxPooling3D()(keras.Input(shape=(8, 8, 8, 3)))",
            "rank",
        ),
        (
            "layers.AveragePooling1D(2)(keras.Input(shape=(8, 8, 3)))",
            "layers.AveragePooling2D(2)(keras.Input(shape=(8, 8, 3)))",
            "rank",
        ),
        (
            "layers.GlobalAveragePooling2D()(keras.Input(shape=(3, 9, 9, 2)))",
            "layers.GlobalAveragePooling3D()(keras.Input(shape=(3, 9, 9, 2)))",
            "rank",
        ),
        (
            "layers.GlobalMaxPooling1D()(keras.Input(shape=(9,)))",
            "layers.GlobalMaxPooling1D()(keras.Input(shape=(9, 1)))",
            "rank",
        ),
        (
            "layers.MaxPooling2D(4)(keras.Input(shape=(3, 9, 2)))",
            "layers.MaxPooling2D(4, padding='same')(keras.Input(shape=(3, 9, 2)))",
            "zero or negative",
        ),
        (
            "layers.AveragePooling1D(3, strides=1)(keras.Input(shape=(2, 2)))",
            "layers.AveragePooling1D(2, strides=1)(keras.Input(shape=(2, 2)))",
            "zero or negative",
        ),
        (
            "layers.MaxPooling2D(2, padding='SAME')(keras.Input(shape=(9, 9, 2)))",
            "layers.MaxPooling2D(2, padding='same')(keras.Input(shape=(9, 9, 2)))",
            "padding",
        ),
        (
            "layers.MaxPooling1D(2, padding='causal')(keras.Input(shape=(9, 2)))",
            "layers.MaxPooling1D(2, padding='valid')(keras.Input(shape=(9, 2)))",
            "padding",
        ),
        (
            "layers.MaxPooling2D((2, 2, 2))(keras.Input(shape=(9, 9, 2)))",
            "layers.MaxPooling3D((2, 2, 2))(keras.Input(shape=(9, 9, 9, 2)))",
            "pool_size",
        ),
        (
            "layers.MaxPooling2D(0)(keras.Input(shape=(9, 9, 2)))",
            "layers.MaxPooling2D(1)(keras.Input(shape=(9, 9, 2)))",
            "pool_size",
        ),
        (
            "layers.AveragePooling2D(2, strides=-1)(keras.Input(shape=(9, 9, 2)))",
            "layers.AveragePooling2D(2, strides=1)(keras.Input(shape=(9, 9, 2)))",
            "strides",
        ),
        (
            "layers.MaxPooling2D(data_format='nhwc')(keras.Input(shape=(9, 9, 2)))",
            "layers.MaxPooling2D(data_format='CHANNELS_LAST')(keras.Input(shape=(9, 9, 2)))",
            "data_format",
        ),
        (
            "layers.AdaptiveMaxPooling2D((2, 2, 2))(keras.Input(shape=(9, 9, 2)))",
            "layers.AdaptiveMaxPooling2D((2, 2))(keras.Input(shape=(9, 9, 2)))",
            "output_size",
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


def test_error_message_names_shapes() -> None:
    errors = run_engine("x = keras.Input(shape=(3, 9, 2))\ny = layers.MaxPooling2D(4)(x)\n").errors
    assert len(errors) == 1
    assert "(None, 3, 9, 2)" in errors[0] and "pool_size=(4, 4)" in errors[0]
