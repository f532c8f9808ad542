"""Differential tests for the merge layers (Concatenate, Add, ..., Dot) against real Keras."""

from __future__ import annotations

import random

import pytest

from oracle.harness import assert_agrees, run_engine, run_real

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]


def assert_certain_error(source: str) -> None:
    """Real Keras raises, and the engine reports an error diagnostic."""
    real = run_real(source)
    assert real.error is not None, f"Keras accepted:\n{source}"
    engine = run_engine(source)
    assert engine.errors, f"engine silent where Keras raised {real.error!r}:\n{source}"


def assert_quiet(source: str, names: list[str]) -> None:
    engine = run_engine(source)
    assert not engine.errors, engine.errors
    assert_agrees(source, names)


def _inp(shape: tuple[int | None, ...]) -> str:
    return f"keras.Input(shape={shape!r})"


# ---------------------------------------------------------------------------------------------
# Concatenate


def _concat_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(seed)
    rank = rng.randint(2, 4)  # with the batch axis
    axis = rng.randint(-rank, rank - 1)
    n = rng.randint(2, 3)
    base = [rng.choice([1, 2, 3, 5, None]) for _ in range(rank - 1)]
    shapes = []
    for _ in range(n):
        s = list(base)
        if axis % rank != 0:
            s[axis % rank - 1] = rng.choice([1, 2, 4, None])
        shapes.append(tuple(s))
    lines = [f"x{i} = {_inp(s)}" for i, s in enumerate(shapes)]
    names = ", ".join(f"x{i}" for i in range(n))
    if rng.random() < 0.5:
        lines.append(f"y = layers.Concatenate(axis={axis})([{names}])")
    else:
        lines.append(f"y = layers.concatenate([{names}], axis={axis})")
    return "\n".join(lines), ["y"]


@pytest.mark.parametrize("seed", range(12))
def test_concatenate_random(seed: int) -> None:
    src, names = _concat_case(seed)
    assert_agrees(src, names)


@pytest.mark.parametrize("axis", [1, 2, -1, -2])
def test_concatenate_axes(axis: int) -> None:
    a, b = {1: ((3, 4), (5, 4)), 2: ((3, 4), (3, 6)), -1: ((3, 4), (3, 6)), -2: ((3, 4), (5, 4))}[axis]
    assert_quiet(
        f"""
        a = {_inp(a)}
        b = {_inp(b)}
        y = layers.Concatenate(axis={axis})([a, b])
        z = layers.Concatenate({axis})([a, b])
        w = layers.concatenate([a, b], {axis})
        """,
        ["y", "z", "w"],
    )


def test_concatenate_none_dims() -> None:
    assert_agrees(
        """
        a = keras.Input(shape=(None, 4))
        b = keras.Input(shape=(5, 4))
        y = layers.Concatenate()([a, b])
        z = layers.Concatenate(axis=1)([a, b])
        w = layers.Concatenate()([b, a])
        """,
        ["y", "z", "w"],
    )


def test_concatenate_dtype_policy() -> None:
    assert_agrees(
        """
        a = keras.Input(shape=(3,), dtype="int32")
        b = keras.Input(shape=(3,), dtype="float64")
        y = layers.Concatenate()([a, a])
        z = layers.Concatenate(dtype="float64")([b, b])
        w = layers.Concatenate(dtype="mixed_float16")([b, b])
        """,
        ["y", "z", "w"],
    )


def test_concatenate_eager() -> None:
    assert_agrees(
        """
        y = layers.Concatenate(axis=0)([np.ones((2, 3), "int32"), np.ones((4, 3), "int32")])
        z = layers.Concatenate()([np.ones((2, 3)), np.ones((2, 5))])
        """,
        ["y", "z"],
    )


@pytest.mark.parametrize(
    "shapes, axis",
    [
        (((3, 4), (5, 4)), -1),
        (((3, 4), (5, 4)), 2),
        (((3, 4), (4,)), -1),
        (((3, 4), (3, 4)), 3),
        (((3, 4), (3, 4)), -4),
    ],
)
def test_concatenate_errors(shapes: tuple[tuple[int, ...], ...], axis: int) -> None:
    a, b = shapes
    assert_certain_error(
        f"""
        a = {_inp(a)}
        b = {_inp(b)}
        y = layers.Concatenate(axis={axis})([a, b])
        """
    )


def test_concatenate_error_message_names_shapes() -> None:
    engine = run_engine(
        """
        a = keras.Input(shape=(3, 4))
        b = keras.Input(shape=(5, 4))
        y = layers.concatenate([a, b])
        """
    )
    assert len(engine.errors) == 1
    assert "(None, 3, 4)" in engine.errors[0] and "(None, 5, 4)" in engine.errors[0]


# ---------------------------------------------------------------------------------------------
# elementwise merges


def _elementwise_case(seed: int) -> tuple[str, str, bool]:
    """A snippet merging random shapes with a random layer; whether the shapes are compatible."""
    rng = random.Random(1000 + seed)
    cls = rng.choice(ELEMENTWISE)
    n = 2 if cls == "Subtract" else rng.randint(2, 3)
    rank = rng.randint(1, 3)
    base = [rng.choice([2, 3, 4, None]) for _ in range(rank)]
    shapes = []
    for _ in range(n):
        s = list(base)
        # some dims become 1 (broadcast), some inputs drop leading dims (right-aligned)
        s = [1 if rng.random() < 0.2 else d for d in s]
        drop = rng.randint(0, len(s) - 1) if rng.random() < 0.3 else 0
        shapes.append(tuple(s[drop:]))
    ok = True
    if rng.random() < 0.3:
        s = list(shapes[-1])
        j = rng.randrange(len(s))
        if isinstance(s[j], int) and s[j] != 1:
            s[j] = s[j] + 1
            shapes[-1] = tuple(s)
            ok = False
    lines = [f"x{i} = {_inp(s)}" for i, s in enumerate(shapes)]
    names = ", ".join(f"x{i}" for i in range(n))
    if rng.random() < 0.5:
        lines.append(f"y = layers.{cls}()([{names}])")
    else:
        lines.append(f"y = layers.{cls.lower()}([{names}])")
    return "\n".join(lines), cls, ok


@pytest.mark.parametrize("seed", range(24))
def test_elementwise_random(seed: int) -> None:
    src, _cls, _ok = _elementwise_case(seed)
    real = run_real(src)
    if real.error is None:
        assert_agrees(src, ["y"])
    else:
        assert_certain_error(src)


def _eager_case(seed: int) -> str:
    """Eager numpy inputs of random dtypes through a random merge layer."""
    rng = random.Random(1500 + seed)
    cls = rng.choice([*ELEMENTWISE, "Concatenate", "Dot"])
    rank = rng.randint(2, 3)
    base = [rng.choice([1, 2, 3, 4]) for _ in range(rank)]
    base[0] = 2
    n = 2 if cls in ("Subtract", "Dot") else rng.randint(2, 3)
    dtype = rng.choice(["float32", "float64", "int32", "int64", "float16"])
    mixed = rng.random() < 0.2
    shapes = [list(base) for _ in range(n)]
    ctor = ""
    if cls == "Concatenate":
        axis = rng.randint(-rank, rank - 1)
        ctor = f"axis={axis}"
        for s in shapes:
            s[axis % rank] = rng.randint(1, 4)
    elif cls == "Dot":
        shapes[1][-1] = shapes[0][-1] = 3
        ctor = "axes=-1"
    else:
        for s in shapes:
            for j in range(1, rank):
                if rng.random() < 0.2:
                    s[j] = 1
    items = []
    for i, s in enumerate(shapes):
        dt = "float32" if mixed and i == 0 else dtype
        items.append(f"np.ones({tuple(s)!r}, dtype='{dt}')")
    return f"y = layers.{cls}({ctor})([{', '.join(items)}])\n"


@pytest.mark.parametrize("seed", range(16))
def test_merge_random_eager(seed: int) -> None:
    src = _eager_case(seed)
    real = run_real(src)
    if real.error is None:
        assert_agrees(src, ["y"])
    else:
        assert_certain_error(src)


@pytest.mark.parametrize("cls", ELEMENTWISE)
def test_elementwise_broadcast(cls: str) -> None:
    assert_quiet(
        f"""
        a = keras.Input(shape=(3, 4))
        b = keras.Input(shape=(4,))
        c = keras.Input(shape=(3, 1))
        y = layers.{cls}()([a, b])
        z = layers.{cls}()([c, a])
        w = layers.{cls}()([a, keras.Input(shape=(None, 4))])
        """,
        ["y", "z", "w"],
    )


@pytest.mark.parametrize("cls", ELEMENTWISE)
def test_elementwise_incompatible(cls: str) -> None:
    assert_certain_error(
        f"""
        a = keras.Input(shape=(3, 4))
        b = keras.Input(shape=(3,))
        y = layers.{cls}()([a, b])
        """
    )


def test_elementwise_batch_sizes() -> None:
    assert_certain_error(
        """
        a = keras.Input(shape=(4,), batch_size=2)
        b = keras.Input(shape=(4,), batch_size=3)
        y = layers.Add()([a, b])
        """
    )
    assert_quiet(
        """
        a = keras.Input(shape=(4,), batch_size=2)
        b = keras.Input(shape=(4,))
        y = layers.Add()([a, b])
        """,
        ["y"],
    )


@pytest.mark.parametrize("n", [1, 3])
def test_subtract_needs_two(n: int) -> None:
    items = ", ".join(["a"] * n)
    assert_certain_error(
        f"""
        a = keras.Input(shape=(3,))
        y = layers.Subtract()([{items}])
        """
    )


def test_elementwise_dtypes() -> None:
    assert_agrees(
        """
        a = keras.Input(shape=(3,), dtype="int32")
        b = keras.Input(shape=(3,), dtype="float64")
        y = layers.Add()([a, a])
        z = layers.Average(dtype="float64")([b, b])
        w = layers.Maximum(dtype="bfloat16")([a, b])
        """,
        ["y", "z", "w"],
    )


def test_elementwise_eager() -> None:
    assert_agrees(
        """
        i = np.ones((2, 4), dtype="int32")
        y = layers.Add()([i, i])
        z = layers.Average()([i, i])
        w = layers.Multiply()([np.ones((2, 4)), np.ones((2, 3, 4))])
        """,
        ["y", "z", "w"],
    )


# ---------------------------------------------------------------------------------------------
# Dot


def _dot_case(seed: int) -> tuple[str, list[str]]:
    rng = random.Random(2000 + seed)
    r1, r2 = rng.randint(2, 4), rng.randint(2, 4)
    s1 = [rng.choice([2, 3, 5]) for _ in range(r1 - 1)]
    s2 = [rng.choice([2, 3, 5]) for _ in range(r2 - 1)]
    a1, a2 = rng.randint(1, r1 - 1), rng.randint(1, r2 - 1)
    s2[a2 - 1] = s1[a1 - 1]
    form = rng.choice(["pair", "neg", "int"])
    if form == "int" and r1 == r2:
        s2[a1 - 1] = s1[a1 - 1]
        axes = f"{a1}"
    elif form == "neg":
        axes = f"({a1 - r1}, {a2 - r2})"
    else:
        axes = f"({a1}, {a2})"
    src = f"""
    a = {_inp(tuple(s1))}
    b = {_inp(tuple(s2))}
    y = layers.Dot(axes={axes})([a, b])
    z = layers.dot([a, b], {axes})
    """
    return src, ["y", "z"]


@pytest.mark.parametrize("seed", range(12))
def test_dot_random(seed: int) -> None:
    src, names = _dot_case(seed)
    assert_agrees(src, names)


def test_dot_examples() -> None:
    assert_quiet(
        """
        a = keras.Input(shape=(20,))
        b = keras.Input(shape=(30, 20))
        y = layers.Dot(axes=(1, 2))([a, b])
        v = layers.Dot(axes=1, normalize=True)([a, a])
        c = keras.Input(shape=(5, 20))
        w = layers.Dot(axes=-1)([c, b])
        u = layers.Dot(-1, True)([c, b])
        """,
        ["y", "v", "w", "u"],
    )


@pytest.mark.parametrize(
    "a, b, axes",
    [((3,), (4,), "1"), ((3, 4), (3, 5), "2"), ((3, 4), (5, 4), "(1, 1)"), ((3,), (3,), "3")],
)
def test_dot_errors(a: tuple[int, ...], b: tuple[int, ...], axes: str) -> None:
    assert_certain_error(
        f"""
        a = {_inp(a)}
        b = {_inp(b)}
        y = layers.Dot(axes={axes})([a, b])
        """
    )


def test_dot_three_inputs() -> None:
    assert_certain_error(
        """
        a = keras.Input(shape=(3,))
        y = layers.Dot(axes=1)([a, a, a])
        """
    )


def test_dot_none_against_size_is_not_claimed() -> None:
    # Keras compares the dot axes with `!=`: None against 5 fails; the engine stays silent.
    src = """
    a = keras.Input(shape=(None, 4))
    b = keras.Input(shape=(5, 4))
    y = layers.Dot(axes=1)([a, b])
    """
    assert run_real(src).error is not None
    assert "y" not in run_engine(src).values or run_engine(src).values["y"].shape is None


def test_merge_in_model() -> None:
    assert_quiet(
        """
        a = keras.Input(shape=(16,))
        b = keras.Input(shape=(32,))
        x1 = layers.Dense(8)(a)
        x2 = layers.Dense(8)(b)
        s = layers.subtract([x1, x2])
        m = layers.maximum([x1, x2, s])
        c = layers.concatenate([x1, x2, s, m])
        out = layers.Dense(4)(c)
        model = keras.Model([a, b], out)
        k = layers.Add()(inputs=[x1, x2])
        """,
        ["s", "m", "c", "out", "k"],
    )
