"""Differential tests for the normalization layers against real Keras."""

from __future__ import annotations

import random

import pytest

from oracle.harness import assert_agrees, run_engine, run_real

LAYERS = ["BatchNormalization", "LayerNormalization", "UnitNormalization", "RMSNormalization"]
LIST_AXIS = ["LayerNormalization", "UnitNormalization", "RMSNormalization"]


def assert_certain_error(source: str) -> None:
    real = run_real(source)
    assert real.error is not None, f"Keras accepted:\n{source}"
    engine = run_engine(source)
    assert engine.errors, f"engine silent where Keras raised {real.error!r}:\n{source}"


def assert_quiet(source: str, names: list[str]) -> None:
    engine = run_engine(source)
    assert not engine.errors, engine.errors
    assert_agrees(source, names)


def _norm_case(seed: int) -> str:
    rng = random.Random(3000 + seed)
    cls = rng.choice([*LAYERS, "GroupNormalization"])
    rank = rng.randint(1, 4)  # without the batch axis
    dims = [rng.choice([2, 3, 4, 6, 8]) for _ in range(rank)]
    if rng.random() < 0.3 and rank > 1:
        dims[0] = None  # an unknown time axis
    axis = rng.choice([-1, rank]) if rng.random() < 0.7 else rng.randint(1, rank)
    args = f"axis={axis}"
    if cls == "GroupNormalization":
        ch = dims[axis - 1 if axis > 0 else axis]
        if ch is None:
            ch = dims[axis - 1 if axis > 0 else axis] = 4
        groups = rng.choice([g for g in (1, 2, 3, 4, 6, 8) if ch % g == 0] + [-1])
        args = f"{groups}, axis={axis}"
    elif cls in LIST_AXIS and rank > 1 and rng.random() < 0.3:
        args = f"axis=[{rank - 1}, {rank}]"
        dims[-2] = dims[-2] or 3
    dtype = rng.choice(["", ", dtype='float64'", ", dtype='mixed_float16'"])
    idtype = rng.choice(["float32", "float64", "int32"])
    return f"""
    x = keras.Input(shape={tuple(dims)!r}, dtype="{idtype}")
    y = layers.{cls}({args}{dtype})(x)
    """


@pytest.mark.parametrize("seed", range(24))
def test_normalization_random(seed: int) -> None:
    src = _norm_case(seed)
    assert run_real(src).error is None, src
    assert_quiet(src, ["x", "y"])


@pytest.mark.parametrize("cls", LAYERS)
@pytest.mark.parametrize("axis", [1, 2, -1, -2])
def test_axes_in_range(cls: str, axis: int) -> None:
    assert_quiet(
        f"""
        x = keras.Input(shape=(3, 4))
        y = layers.{cls}(axis={axis})(x)
        z = layers.{cls}({axis})(x)
        """,
        ["y", "z"],
    )


@pytest.mark.parametrize("cls", [*LAYERS, "GroupNormalization"])
@pytest.mark.parametrize("axis", [3, -4])
def test_axis_out_of_range(cls: str, axis: int) -> None:
    assert_certain_error(
        f"""
        x = keras.Input(shape=(3, 4))
        y = layers.{cls}(axis={axis})(x)
        """
    )


@pytest.mark.parametrize("cls", LIST_AXIS)
def test_list_axes(cls: str) -> None:
    assert_quiet(
        f"""
        x = keras.Input(shape=(3, 4, 5))
        y = layers.{cls}(axis=[1, 2])(x)
        z = layers.{cls}(axis=(-1, -2))(x)
        """,
        ["y", "z"],
    )
    assert_certain_error(
        f"""
        x = keras.Input(shape=(3, 4))
        y = layers.{cls}(axis=[1, 3])(x)
        """
    )


def test_batchnorm_list_axis_is_error() -> None:
    assert_certain_error(
        """
        x = keras.Input(shape=(3, 4))
        y = layers.BatchNormalization(axis=[1])(x)
        """
    )


def test_undefined_axis_dim_is_not_claimed() -> None:
    # Keras cannot create weights for an undefined size, but the engine's None may be a size it
    # merely could not compute (e.g. Conv2D(filters=hp.Int(...))): it stays silent and never
    # claims a fully known shape, passing the partial shape through for what follows.
    for cls in ("BatchNormalization", "LayerNormalization", "RMSNormalization"):
        src = f"""
        x = keras.Input(shape=(3, None))
        y = layers.{cls}()(x)
        """
        assert run_real(src).error is not None
        engine = run_engine(src)
        assert not engine.errors
        y = engine.values.get("y")
        assert y is None or y.shape is None or None in y.shape
    assert_agrees(
        """
        x = keras.Input(shape=(3, None))
        y = layers.UnitNormalization()(x)
        z = layers.BatchNormalization(axis=1)(x)
        """,
        ["y", "z"],
    )


def test_group_normalization() -> None:
    assert_quiet(
        """
        x = keras.Input(shape=(8, 8, 64))
        y = layers.GroupNormalization()(x)
        z = layers.GroupNormalization(groups=4, axis=1)(keras.Input(shape=(8, 3)))
        w = layers.GroupNormalization(-1)(keras.Input(shape=(5, 7)))
        v = layers.GroupNormalization(2)(keras.Input(shape=(6,)))
        """,
        ["y", "z", "w", "v"],
    )


@pytest.mark.parametrize(
    "ctor, shape",
    [
        ("GroupNormalization()", (3, 4)),  # default 32 groups > 4 channels
        ("GroupNormalization(3)", (3, 4)),  # 4 channels not divisible by 3
        ("GroupNormalization(groups=5, axis=1)", (10, 4)),  # 10 % 5 fine ...
        ("GroupNormalization(0)", (3, 4)),
        ("GroupNormalization(2, axis=[1])", (4, 4)),
    ],
)
def test_group_normalization_errors(ctor: str, shape: tuple[int, ...]) -> None:
    src = f"""
    x = keras.Input(shape={shape!r})
    y = layers.{ctor}(x)
    """
    if run_real(src).error is None:
        assert_quiet(src, ["y"])
    else:
        assert_certain_error(src)


def test_group_normalization_not_divisible_message() -> None:
    engine = run_engine(
        """
        x = keras.Input(shape=(16, 6))
        y = layers.GroupNormalization(4)(x)
        """
    )
    assert len(engine.errors) == 1
    assert "(None, 16, 6)" in engine.errors[0] and "4" in engine.errors[0]


def test_normalization_in_sequential() -> None:
    assert_quiet(
        """
        model = keras.Sequential([
            keras.Input(shape=(10, 8)),
            layers.BatchNormalization(),
            layers.LayerNormalization(),
            layers.GroupNormalization(4),
            layers.UnitNormalization(),
            layers.RMSNormalization(),
        ])
        y = model(keras.Input(shape=(10, 8)))
        """,
        ["y"],
    )


def test_spectral_normalization() -> None:
    assert_quiet(
        """
        x = keras.Input(shape=(8, 8, 3))
        y = layers.SpectralNormalization(layers.Conv2D(4, 3))(x)
        z = layers.SpectralNormalization(layers.Dense(5), power_iterations=2)(keras.Input(shape=(7,)))
        """,
        ["y", "z"],
    )


def test_eager_dtypes() -> None:
    assert_agrees(
        """
        i = np.ones((2, 3, 4), dtype="int32")
        f = np.ones((2, 3, 4))
        a = layers.BatchNormalization()(i)
        b = layers.LayerNormalization()(f)
        c = layers.RMSNormalization()(i)
        d = layers.UnitNormalization()(f)
        e = layers.GroupNormalization(2)(i)
        """,
        ["a", "b", "c", "d", "e"],
    )


def test_unit_normalization_eager_int_is_error() -> None:
    assert_certain_error(
        """
        y = layers.UnitNormalization()(np.ones((2, 3), dtype="int32"))
        """
    )
