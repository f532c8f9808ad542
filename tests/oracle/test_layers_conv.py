"""Differential tests of the convolution layer rules (layers/conv.py) against real Keras.

Three kinds of test:
- a deterministic random sample of configurations per layer class (kernel, strides,
  dilation, padding, data_format, groups, output_padding, depth_multiplier, odd and size-1
  and unknown spatial sizes), run as snippets through the harness on ``keras.Input``s and on
  eager tensors: the engine must agree with Keras, know every shape Keras computed, and
  report an error for every configuration Keras rejects;
- the same kind of sample applied eagerly straight to the layer rule (``apply_layer`` on a
  known eager tensor), so the eager paths (dtype, TF-only failures) are proven too;
- hand-written edge cases: certain errors, quiet correct calls, aliases, positional
  arguments, dtypes, unknown config values.

Eager channels_first Conv1D/Conv2D and eager channels_first or dilated transposed convs are
left out of the samples: TensorFlow has no CPU kernel for them (the layers work on a GPU), a
device matter the engine does not model.
"""

from __future__ import annotations

import os
import random
import textwrap
from typing import Any

import pytest

from oracle.harness import compare, run_engine, run_real
from shapelens.core.calls import apply_layer
from shapelens.core.facts import Span
from shapelens.core.layers import LAYERS
from shapelens.core.shapes import Shape
from shapelens.core.values import Const, LayerVal, Seq, Tensor, Value

# SHAPELENS_SEED / SHAPELENS_SAMPLES widen the sample for a longer fuzzing run
SEED = int(os.environ.get("SHAPELENS_SEED", "1729"))
PER_CLASS = int(os.environ.get("SHAPELENS_SAMPLES", "40"))
EAGER_PER_CLASS = max(1, PER_CLASS * 2 // 5)

CLASSES: dict[str, tuple[int, str]] = {
    "Conv1D": (1, "conv"),
    "Conv2D": (2, "conv"),
    "Conv3D": (3, "conv"),
    "Conv1DTranspose": (1, "transpose"),
    "Conv2DTranspose": (2, "transpose"),
    "Conv3DTranspose": (3, "transpose"),
    "DepthwiseConv1D": (1, "depthwise"),
    "DepthwiseConv2D": (2, "depthwise"),
    "SeparableConv1D": (1, "separable"),
    "SeparableConv2D": (2, "separable"),
}


# ---------------------------------------------------------------------------------------------
# helpers


def check(src: str, names: tuple[str, ...] = ("x", "y"), must_flag: bool = True, exact: bool = True) -> None:
    """Harness agreement; exactness and error detection wherever the engine knew the input."""
    real = run_real(src, list(names))
    verdict = compare(src, list(names), real)
    shown = textwrap.dedent(src)
    assert verdict.ok, f"{verdict.detail}\n--- snippet ---\n{shown}"
    engine = run_engine(src)
    x = engine.values.get("x")
    knows_input = x is not None and x.shape is not None and real.values.get("x") is not None
    knows_input = knows_input and x is not None and tuple(x.shape or ()) == real.values["x"].shape
    if real.error is None and knows_input and exact:
        assert verdict.exact, f"engine not exact: {engine.values}\n--- snippet ---\n{shown}"
    if real.error is not None and knows_input and must_flag:
        assert engine.errors, (
            f"Keras raised {type(real.error).__name__}: {str(real.error)[:300]}\n"
            f"but the engine reported nothing\n--- snippet ---\n{shown}"
        )


def engine_errors(src: str) -> list[str]:
    return run_engine(src).errors


class _Sink:
    """Stands in for the interpreter: collects what a rule reports."""

    def __init__(self) -> None:
        self.issues: list[tuple[str, str]] = []
        self.uncertain_depth = 0  # every call here certainly runs

    def report(self, site: Any, message: str, code: str = "", **_: Any) -> None:
        self.issues.append((code, message))

    def certain_mutation(self, obj: Any) -> bool:
        return True  # no branch or loop of unknown outcome here


def _value(v: Any) -> Value:
    if isinstance(v, (tuple, list)):
        return Seq([_value(i) for i in v], "tuple" if isinstance(v, tuple) else "list")
    return Const(v)


def engine_eager(name: str, kwargs: dict[str, Any], shape: tuple[int, ...], dtype: str) -> tuple[Value, list]:
    """Apply the engine's rule for ``name`` to a known eager tensor."""
    sink = _Sink()
    lay = LayerVal(LAYERS[name], [], {k: _value(v) for k, v in kwargs.items()})
    x = Tensor(Shape(shape), dtype, "tf")
    out = apply_layer(sink, lay, [x], {}, Span(1, 0, 1, 0), record=False)  # type: ignore[arg-type]
    return out, sink.issues


def real_eager(name: str, kwargs: dict[str, Any], shape: tuple[int, ...], dtype: str) -> tuple[Any, Any]:
    import keras
    import tensorflow as tf

    try:
        y = getattr(keras.layers, name)(**kwargs)(tf.zeros(shape, dtype=dtype))
    except Exception as err:  # any failure is a verdict
        return None, err
    return (tuple(int(d) for d in y.shape), y.dtype.name), None


def check_eager(
    name: str,
    kwargs: dict[str, Any],
    shape: tuple[int, ...],
    dtype: str = "float32",
    unknown: bool = False,
    must_flag: bool = True,
) -> None:
    """Engine rule vs Keras run eagerly; ``unknown``: the engine must leave the result unknown;
    ``must_flag``: where Keras fails the engine must report it (else only claim nothing)."""
    out, issues = engine_eager(name, kwargs, shape, dtype)
    real, err = real_eager(name, kwargs, shape, dtype)
    where = f"{name}({kwargs}) on eager {dtype} {shape}"
    if unknown:
        assert not issues, f"false alarm {issues}: {where}"
        assert isinstance(out, Tensor) and out.shape.dims is None, f"engine claims {out}: {where}"
        return
    if err is not None:
        if _tf_kernel_limit(name, kwargs) or not must_flag:
            assert isinstance(out, Tensor) and out.shape.dims is None, f"engine claims {out}: {where}"
            return
        assert issues, f"Keras raised {type(err).__name__}: {str(err)[:300]} but the engine is quiet: {where}"
        return
    assert not issues, f"false alarm {issues}: {where} ran fine giving {real}"
    assert isinstance(out, Tensor), where
    assert out.shape.dims == real[0], f"engine {out.shape} vs real {real[0]}: {where}"
    assert out.dtype == real[1], f"engine dtype {out.dtype} vs real {real[1]}: {where}"


def _tf_kernel_limit(name: str, kwargs: dict[str, Any]) -> bool:
    """TF's depthwise kernel refuses unequal strides (the engine leaves the result unknown)."""
    strides = kwargs.get("strides", 1)
    dilation = _as_tuple(kwargs.get("dilation_rate", 1))
    return (
        name in ("DepthwiseConv2D", "SeparableConv2D")
        and isinstance(strides, tuple)
        and len(set(strides)) > 1
        and max(dilation) == 1
    )


def _ints(rng: random.Random, rank: int, lo: int, hi: int) -> int | tuple[int, ...]:
    if rng.random() < 0.5:
        return rng.randint(lo, hi)
    return tuple(rng.randint(lo, hi) for _ in range(rank))


def _min(v: int | tuple[int, ...]) -> int:
    return min(v) if isinstance(v, tuple) else v


def gen_config(rng: random.Random, name: str) -> tuple[dict[str, Any], tuple[int | None, ...]]:
    rank, family = CLASSES[name]
    kw: dict[str, Any] = {}
    if family != "depthwise":
        kw["filters"] = rng.randint(1, 8)
    kw["kernel_size"] = _ints(rng, rank, 1, 5)
    if rng.random() < 0.6:
        kw["strides"] = _ints(rng, rank, 1, 4)  # strides > kernel included
    if rng.random() < 0.35:
        kw["dilation_rate"] = _ints(rng, rank, 1, 3)  # with strides > 1: a Keras error for conv
    if rng.random() < 0.85:
        choices = ["valid", "same"] + (["causal"] if rank == 1 else [])
        if rng.random() < 0.08:
            choices = ["causal", "SAME", "Valid"]  # causal is an error except for Conv1D
        kw["padding"] = rng.choice(choices)
    fmt = rng.choice([None, None, "channels_last", "channels_first"])
    if fmt:
        kw["data_format"] = fmt
    if family == "conv" and rng.random() < 0.3:
        kw["groups"] = rng.choice([1, 2, 3])
        if rng.random() < 0.85:
            kw["filters"] = kw["groups"] * rng.randint(1, 3)
    if family in ("depthwise", "separable") and rng.random() < 0.5:
        kw["depth_multiplier"] = rng.randint(1, 3)
    if family == "transpose" and rng.random() < 0.4:
        top = _min(kw.get("strides", 1)) - 1
        kw["output_padding"] = rng.randint(0, top + (1 if rng.random() < 0.15 else 0))
    channels = rng.choice([1, 2, 3, 4, 6])
    spatial = tuple(
        None if rng.random() < 0.12 else rng.choice([1, 2, 3, 5, 7, 8, 11, 16]) for _ in range(rank)
    )
    shape = (channels, *spatial) if fmt == "channels_first" else (*spatial, channels)
    return kw, shape


def _cpu_unsupported(name: str, kw: dict[str, Any]) -> bool:
    family = CLASSES[name][1]
    first = kw.get("data_format") == "channels_first"
    if family == "transpose":
        return first or _min(kw.get("dilation_rate", 1)) > 1 or max(_as_tuple(kw.get("dilation_rate", 1))) > 1
    return first and name in ("Conv1D", "Conv2D")


def _as_tuple(v: int | tuple[int, ...]) -> tuple[int, ...]:
    return v if isinstance(v, tuple) else (v,)


def _call_args(kw: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kw.items())


def _sample() -> list[Any]:
    rng = random.Random(SEED)
    cases = []
    for name in CLASSES:
        for i in range(PER_CLASS):
            kw, shape = gen_config(rng, name)
            eager = rng.random() < 0.3 and None not in shape and not _cpu_unsupported(name, kw)
            if eager:
                x = f"x = tf.zeros({(2, *shape)!r})"
            else:
                x = f"x = keras.Input(shape={shape!r})"
            src = f"{x}\ny = layers.{name}({_call_args(kw)})(x)\n"
            flag = not (eager and _tf_kernel_limit(name, kw))
            cases.append(pytest.param(src, flag, id=f"{name}-{i}"))
    return cases


def _eager_sample() -> list[Any]:
    rng = random.Random(SEED + 1)
    cases = []
    for name in CLASSES:
        i = 0
        while i < EAGER_PER_CLASS:
            kw, shape = gen_config(rng, name)
            if None in shape or _cpu_unsupported(name, kw):
                continue
            cases.append(pytest.param(name, kw, (2, *shape), id=f"{name}-{i}"))
            i += 1
    return cases


# ---------------------------------------------------------------------------------------------
# generated configurations


@pytest.mark.parametrize(("src", "must_flag"), _sample())
def test_generated_snippets(src: str, must_flag: bool) -> None:
    check(src, must_flag=must_flag)


@pytest.mark.parametrize(("name", "kw", "shape"), _eager_sample())
def test_generated_eager(name: str, kw: dict[str, Any], shape: tuple[int, ...]) -> None:
    check_eager(name, kw, shape)


# ---------------------------------------------------------------------------------------------
# edge cases that agree


@pytest.mark.parametrize(
    "layer",
    [
        "layers.Conv1D(4, 3, padding='causal')",
        "layers.Conv1D(4, 3, strides=2, padding='causal')",
        "layers.Conv1D(4, 3, dilation_rate=4, padding='causal')",
        "layers.Conv1D(4, 5, dilation_rate=2, padding='valid')",
        "layers.Conv1D(4, 2, strides=5)",
        "layers.Conv1D(4, 1, strides=3, padding='same')",
        "layers.Conv1D(6, 3, groups=3, padding='same')",
        "layers.Conv1DTranspose(4, 3, strides=3, padding='same', output_padding=2)",
        "layers.Conv1DTranspose(4, 4, strides=2, padding='valid', output_padding=1)",
        "layers.Conv1DTranspose(4, 2, strides=5)",
        "layers.DepthwiseConv1D(3, strides=2, dilation_rate=2)",
        "layers.SeparableConv1D(4, 3, strides=3, padding='same', depth_multiplier=2)",
    ],
)
@pytest.mark.parametrize("length", [1, 9, 10, None])
def test_1d_edges(layer: str, length: int | None) -> None:
    check(f"x = keras.Input(shape=({length}, 6))\ny = {layer}(x)\n")


def test_causal_channels_first() -> None:
    check(
        "x = keras.Input(shape=(4, 11))\ny = layers.Conv1D(3, 5, padding='causal', data_format='channels_first')(x)\n"
    )


@pytest.mark.parametrize(
    "layer",
    [
        "layers.Conv2D(8, 3)",
        "layers.Conv2D(8, 3, strides=2, padding='same')",
        "layers.Conv2D(8, (1, 5), strides=(3, 1))",
        "layers.Conv2D(8, 3, dilation_rate=(2, 3), padding='same')",
        "layers.Conv2D(8, 3, groups=4, data_format='channels_first')",
        "layers.Conv2DTranspose(8, 3, strides=2, padding='same')",
        "layers.Conv2DTranspose(8, 4, strides=(2, 3), output_padding=(1, 2))",
        "layers.Conv2DTranspose(8, 3, data_format='channels_first')",
        "layers.DepthwiseConv2D(3, depth_multiplier=3)",
        "layers.DepthwiseConv2D((3, 1), strides=2, dilation_rate=2, padding='same')",
        "layers.SeparableConv2D(8, 3, strides=2, dilation_rate=2)",
        "layers.SeparableConv2D(8, 3, data_format='channels_first', depth_multiplier=2)",
    ],
)
@pytest.mark.parametrize("spatial", [(None, None), (13, None), (13, 13), (1, 1), (2, 17)])
def test_2d_unknown_and_odd_sizes(layer: str, spatial: tuple[int | None, ...]) -> None:
    shape = (4, *spatial) if "channels_first" in layer else (*spatial, 4)
    check(f"x = keras.Input(shape={shape})\ny = {layer}(x)\n")


@pytest.mark.parametrize(
    "layer",
    [
        "layers.Conv3D(4, 3, strides=(1, 2, 3), padding='same')",
        "layers.Conv3D(4, (3, 1, 2), dilation_rate=(1, 2, 1))",
        "layers.Conv3D(4, 3, data_format='channels_first', groups=2)",
        "layers.Conv3DTranspose(4, 3, 2, 'valid', 'channels_last', 1)",
        "layers.Conv3DTranspose(4, 2, strides=3, padding='same', output_padding=(0, 1, 2))",
    ],
)
@pytest.mark.parametrize("shape", [(1, 1, 1, 2), (5, 6, 7, 2), (None, 6, None, 2)])
def test_3d(layer: str, shape: tuple[int | None, ...]) -> None:
    check(f"x = keras.Input(shape={shape})\ny = {layer}(x)\n")


@pytest.mark.parametrize(
    "layer",
    [
        # Keras 3 positional order: filters, kernel_size, strides, padding, data_format, dilation, groups
        "layers.Conv2D(6, 3, 1, 'same', 'channels_last', 2, 3)",
        "layers.Conv1D(6, 3, 2, 'causal', None, 1, 2)",
        # transposes: ..., padding, output_padding, data_format, dilation_rate
        "layers.Conv2DTranspose(4, 3, 2, 'same', 1, 'channels_last')",
        "layers.Conv1DTranspose(4, 3, 3, 'valid', 2)",
        # Conv3DTranspose: ..., padding, data_format, output_padding
        "layers.Conv3DTranspose(4, 3, 2, 'same', 'channels_last', 1)",
        # depthwise: kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate
        "layers.DepthwiseConv2D(3, 1, 'valid', 2, 'channels_last', 2)",
        "layers.DepthwiseConv1D(3, 2, 'same', 3)",
        # separable: filters, kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier
        "layers.SeparableConv2D(4, 3, 1, 'valid', 'channels_last', 2, 3)",
        "layers.SeparableConv1D(4, 3, 2, 'same', None, 1, 2)",
    ],
)
def test_positional_arguments(layer: str) -> None:
    rank = 3 if "3D" in layer else 2 if "2D" in layer else 1
    shape = (9,) * rank + (6,)
    check(f"x = keras.Input(shape={shape})\ny = {layer}(x)\n")


@pytest.mark.parametrize(
    ("alias", "shape"),
    [
        ("Convolution1D(4, 3)", (9, 2)),
        ("Convolution2D(4, 3)", (9, 9, 2)),
        ("Convolution3D(4, 3)", (9, 9, 9, 2)),
        ("Convolution1DTranspose(4, 3)", (9, 2)),
        ("Convolution2DTranspose(4, 3, strides=2)", (9, 9, 2)),
        ("Convolution3DTranspose(4, 3)", (5, 5, 5, 2)),
        ("SeparableConvolution1D(4, 3)", (9, 2)),
        ("SeparableConvolution2D(4, 3)", (9, 9, 2)),
    ],
)
def test_aliases(alias: str, shape: tuple[int, ...]) -> None:
    check(
        f"x = keras.Input(shape={shape})\ny = layers.{alias}(x)\nz = keras.layers.{alias}(x)\n",
        ("x", "y", "z"),
    )


@pytest.mark.parametrize("in_dtype", ["float32", "float64", "float16", "int32", "uint8", "bool"])
@pytest.mark.parametrize("layer_dtype", [None, "float64", "mixed_float16", "bfloat16"])
def test_dtypes_symbolic(in_dtype: str, layer_dtype: str | None) -> None:
    dt = "" if layer_dtype is None else f", dtype={layer_dtype!r}"
    check(
        f"""
        x = keras.Input(shape=(8, 8, 3), dtype={in_dtype!r})
        y = layers.Conv2D(4, 3{dt})(x)
        z = layers.DepthwiseConv1D(3{dt})(layers.Reshape((64, 3))(x))
        w = layers.Conv2DTranspose(2, 3{dt})(x)
        """,
        ("x", "y", "z", "w"),
    )


@pytest.mark.parametrize("name", ["Conv1D", "Conv1DTranspose", "DepthwiseConv1D", "SeparableConv1D"])
@pytest.mark.parametrize("dtype", ["float64", "float16", "int32", "int64", "uint8", "bool"])
def test_dtypes_eager(name: str, dtype: str) -> None:
    kw: dict[str, Any] = (
        {"kernel_size": 3} if name.startswith("Depthwise") else {"filters": 2, "kernel_size": 3}
    )
    check_eager(name, kw, (2, 7, 3), dtype)


@pytest.mark.parametrize("padding", ["same", "valid"])
@pytest.mark.parametrize("kernel", [1, 2, 3, 4])
@pytest.mark.parametrize("strides", [1, 2, 3])
def test_eager_transpose_output_padding(padding: str, kernel: int, strides: int) -> None:
    # 'same' + output_padding=0 + even kernel: Keras' output length is rejected by TF eagerly
    for op in range(strides):
        check_eager(
            "Conv2DTranspose",
            {
                "filters": 2,
                "kernel_size": kernel,
                "strides": strides,
                "padding": padding,
                "output_padding": op,
            },
            (1, 5, 4, 2),
        )


def test_numpy_inputs() -> None:
    check("x = np.ones((1, 8, 8, 3))\ny = layers.Conv2D(4, 3)(x)\n")
    src = "x = np.ones((1, 8, 8, 3), dtype=int)\ny = layers.SeparableConv2D(4, 3)(x)\n"
    check(src)
    assert any("dtype int64" in e for e in engine_errors(src))


def test_inside_sequential() -> None:
    check(
        """
        x = keras.Input(shape=(28, 28, 1))
        model = keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(8, 3, padding="same", activation="relu"),
            layers.SeparableConv2D(16, 3, strides=2),
            layers.Conv2DTranspose(4, 3, strides=2, output_padding=1),
            layers.DepthwiseConv2D(5, depth_multiplier=2),
        ])
        y = model(x)
        """,
    )


def test_unknown_config_is_silent() -> None:
    src = """
    import os
    f = int(os.environ.get("SHAPELENS_NO_SUCH_VAR", "4"))
    k = int(os.environ.get("SHAPELENS_NO_SUCH_VAR", "3"))
    x = keras.Input(shape=(10, 10, 2))
    y = layers.Conv2D(f, 3)(x)
    z = layers.Conv2D(8, k)(x)
    w = layers.DepthwiseConv2D(3, depth_multiplier=f)(x)
    """
    verdict = compare(src, ["x", "y", "z", "w"])
    assert verdict.ok, verdict.detail
    values = run_engine(src).values
    assert values["y"].shape == (None, 8, 8, None)
    assert values["z"].shape == (None, None, None, 8)
    assert values["w"].shape == (None, 8, 8, None)


# ---------------------------------------------------------------------------------------------
# certain errors: Keras raises, the engine reports an error; and the correct call stays quiet


@pytest.mark.parametrize(
    ("bad", "good", "words"),
    [
        # wrong rank (input_spec / kernel-length check)
        (
            "layers.Conv2D(4, 3)(keras.Input(shape=(8, 3)))",
            "layers.Conv2D(4, 3)(keras.Input(shape=(8, 8, 3)))",
            "rank",
        ),
        (
            "layers.Conv2D(4, 3)(keras.Input(shape=(8, 8, 8, 3)))",
            "layers.Conv3D(4, 3)(keras.Input(shape=(8, 8, 8, 3)))",
            "rank",
        ),
        (
            "layers.Conv1D(4, 3)(keras.Input(shape=(8, 8, 3)))",
            "layers.Conv1D(4, 3)(keras.Input(shape=(8, 3)))",
            "rank",
        ),
        (
            "layers.Conv2DTranspose(4, 3)(keras.Input(shape=(8, 8, 8, 3)))",
            "layers.Conv2DTranspose(4, 3)(keras.Input(shape=(8, 8, 3)))",
            "rank",
        ),
        (
            "layers.DepthwiseConv2D(3)(keras.Input(shape=(8, 3)))",
            "layers.DepthwiseConv1D(3)(keras.Input(shape=(8, 3)))",
            "rank",
        ),
        (
            "layers.SeparableConv1D(4, 3)(keras.Input(shape=(8, 8, 3)))",
            "layers.SeparableConv2D(4, 3)(keras.Input(shape=(8, 8, 3)))",
            "rank",
        ),
        # output would be empty
        (
            "layers.Conv2D(4, 5)(keras.Input(shape=(4, 8, 3)))",
            "layers.Conv2D(4, 5)(keras.Input(shape=(5, 8, 3)))",
            "zero or negative",
        ),
        (
            "layers.Conv1D(4, 3, dilation_rate=3)(keras.Input(shape=(6, 3)))",
            "layers.Conv1D(4, 3, dilation_rate=3)(keras.Input(shape=(7, 3)))",
            "zero or negative",
        ),
        (
            "layers.SeparableConv2D(4, 3)(keras.Input(shape=(2, 8, 3)))",
            "layers.SeparableConv2D(4, 3, padding='same')(keras.Input(shape=(2, 8, 3)))",
            "zero or negative",
        ),
        (
            "layers.DepthwiseConv1D(4)(keras.Input(shape=(3, 3)))",
            "layers.DepthwiseConv1D(3)(keras.Input(shape=(3, 3)))",
            "zero or negative",
        ),
        # groups
        (
            "layers.Conv2D(4, 3, groups=2)(keras.Input(shape=(8, 8, 3)))",
            "layers.Conv2D(6, 3, groups=3)(keras.Input(shape=(8, 8, 3)))",
            "groups",
        ),
        (
            "layers.Conv2D(3, 3, groups=2)(keras.Input(shape=(8, 8, 4)))",
            "layers.Conv2D(4, 3, groups=2)(keras.Input(shape=(8, 8, 4)))",
            "groups",
        ),
        (
            "layers.Conv1D(4, 3, groups=0)(keras.Input(shape=(8, 4)))",
            "layers.Conv1D(4, 3, groups=1)(keras.Input(shape=(8, 4)))",
            "groups",
        ),
        # padding
        (
            "layers.Conv2D(4, 3, padding='causal')(keras.Input(shape=(8, 8, 3)))",
            "layers.Conv1D(4, 3, padding='causal')(keras.Input(shape=(8, 3)))",
            "causal",
        ),
        (
            "layers.Conv1DTranspose(4, 3, padding='causal')(keras.Input(shape=(8, 3)))",
            "layers.Conv1DTranspose(4, 3, padding='same')(keras.Input(shape=(8, 3)))",
            "causal",
        ),
        (
            "layers.DepthwiseConv1D(3, padding='causal')(keras.Input(shape=(8, 3)))",
            "layers.DepthwiseConv1D(3, padding='SAME')(keras.Input(shape=(8, 3)))",
            "causal",
        ),
        (
            "layers.Conv2D(4, 3, padding='full')(keras.Input(shape=(8, 8, 3)))",
            "layers.Conv2D(4, 3, padding='Valid')(keras.Input(shape=(8, 8, 3)))",
            "padding",
        ),
        # other constructor checks
        (
            "layers.Conv2D(4, 3, strides=2, dilation_rate=2)(keras.Input(shape=(9, 9, 3)))",
            "layers.DepthwiseConv2D(3, strides=2, dilation_rate=2)(keras.Input(shape=(9, 9, 3)))",
            "dilation",
        ),
        (
            "layers.Conv2DTranspose(4, 3, strides=2, output_padding=2)(keras.Input(shape=(9, 9, 3)))",
            "layers.Conv2DTranspose(4, 3, strides=3, output_padding=2)(keras.Input(shape=(9, 9, 3)))",
            "output_padding",
        ),
        (
            "layers.Conv2D(4, (3,))(keras.Input(shape=(9, 9, 3)))",
            "layers.Conv2D(4, (3, 3))(keras.Input(shape=(9, 9, 3)))",
            "kernel_size",
        ),
        (
            "layers.Conv2D(4, 3, strides=0)(keras.Input(shape=(9, 9, 3)))",
            "layers.Conv2D(4, 3, strides=1)(keras.Input(shape=(9, 9, 3)))",
            "strides",
        ),
        (
            "layers.Conv2D(0, 3)(keras.Input(shape=(9, 9, 3)))",
            "layers.Conv2D(1, 3)(keras.Input(shape=(9, 9, 3)))",
            "filters",
        ),
        (
            "layers.DepthwiseConv2D(3, depth_multiplier=0)(keras.Input(shape=(9, 9, 3)))",
            "layers.DepthwiseConv2D(3, depth_multiplier=1)(keras.Input(shape=(9, 9, 3)))",
            "depth_multiplier",
        ),
        (
            "layers.Conv2D(4, 3, data_format='channels_middle')(keras.Input(shape=(9, 9, 3)))",
            "layers.Conv2D(4, 3, data_format='Channels_First')(keras.Input(shape=(3, 9, 9)))",
            "data_format",
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
    errors = engine_errors("x = keras.Input(shape=(8, 3))\ny = layers.Conv2D(4, 3)(x)\n")
    assert len(errors) == 1
    assert "(None, 8, 3)" in errors[0] and "rank 4" in errors[0]
    errors = engine_errors("x = keras.Input(shape=(4, 8, 3))\ny = layers.Conv2D(4, 5)(x)\n")
    assert "(None, 4, 8, 3)" in errors[0] and "kernel_size=(5, 5)" in errors[0]


def test_error_stops_the_chain_quietly() -> None:
    # after an error, later layers see an unknown input: no cascade of errors
    src = """
    x = keras.Input(shape=(8, 3))
    y = layers.Conv2D(4, 3)(x)
    z = layers.Conv2D(4, 3)(y)
    w = layers.MaxPooling2D()(z)
    """
    assert len(engine_errors(src)) == 1


@pytest.mark.parametrize(
    "layer",
    [
        "layers.Conv2D(4, 3)",
        "layers.Conv2DTranspose(4, 3)",
        "layers.DepthwiseConv2D(3)",
        "layers.SeparableConv2D(4, 3)",
    ],
)
def test_unknown_channels_claims_nothing_wrong(layer: str) -> None:
    # Keras cannot build weights for an unknown channel count, but an unknown dim in the engine
    # may just be something it could not follow: no error, and no fully known claim
    src = f"x = keras.Input(shape=(8, 8, None))\ny = {layer}(x)\n"
    check(src, must_flag=False)
    assert not engine_errors(src)
