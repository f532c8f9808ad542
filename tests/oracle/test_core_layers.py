"""Differential tests for the core layers (layers/core.py) against real Keras 3.

Symbolic calls (on ``keras.Input``) and eager calls (on tf tensors / numpy arrays) are both
covered: Keras gives them different output dtypes for integer inputs. Generated cases use
``random.Random(seed)`` so every run checks the same configurations.
"""

from __future__ import annotations

import random

import pytest

from oracle.harness import assert_agrees, compare, run_engine

# ----------------------------------------------------------------------------------------------
# keras.Input


@pytest.mark.parametrize(
    "expr",
    [
        "keras.Input(shape=(4, 5))",
        "keras.Input((4, 5), 3)",
        "keras.Input((5,), None, 'int32')",
        "keras.Input(shape=(5,), dtype=tf.int64)",
        "keras.Input(shape=(5,), dtype=float)",
        "keras.Input(shape=(5,), dtype=int)",
        "keras.Input(shape=(5,), dtype=np.int8)",
        "keras.Input(shape=(5,), dtype='float64')",
        "keras.Input(shape=(5,), dtype='bool')",
        "keras.Input(shape=(), dtype='string')",
        "keras.Input(shape=(2,), dtype='string')",
        "keras.Input(shape=[None, 3])",
        "keras.Input(batch_shape=(4, None, 3))",
        "keras.Input(shape=(3,), sparse=True)",
        "keras.Input(shape=(None,), ragged=True)",
        "keras.Input(shape=(0,))",
        "keras.Input(shape=(6,), name='features')",
        "keras.Input(tensor=keras.Input((4,)))",
        "keras.layers.Input(shape=(7, 2))",
    ],
)
def test_input(expr: str) -> None:
    assert_agrees(f"x = {expr}", ["x"])


@pytest.mark.parametrize(
    "expr",
    [
        "keras.Input(5)",
        "keras.Input(shape=784)",
        "keras.Input()",
        "keras.Input(shape=(3,), batch_shape=(4, 3))",
        "keras.Input(shape=(-1,))",
        "keras.Input(shape=(3.0,))",
    ],
)
def test_input_mistakes_flagged(expr: str) -> None:
    src = f"x = {expr}"
    assert_agrees(src, ["x"], require_exact=False, tf_raises=True)
    assert run_engine(src).errors, f"engine should flag {expr}"


def test_sparse_input_stays_symbolic() -> None:
    assert_agrees(
        """
        x = keras.Input(shape=(6,), sparse=True)
        y = layers.Dense(3)(x)
        """,
        ["x", "y"],
    )


# ----------------------------------------------------------------------------------------------
# Dense


@pytest.mark.parametrize("units", [1, 7, 64])
@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 9)])
def test_dense(units: int, shape: tuple[int, ...]) -> None:
    assert_agrees(
        f"""
        x = keras.Input(shape={shape})
        y = layers.Dense({units})(x)
        """,
        ["x", "y"],
    )


def _dense_cases(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        rank = rng.randint(1, 4)
        shape = (*(rng.choice([None, 1, 2, 3, 5, 8]) for _ in range(rank - 1)), rng.randint(1, 9))
        dtype = rng.choice(["float32", "int32", "float64", "float16", "uint8", "bool"])
        layer_dtype = rng.choice([None, None, "float16", "float64", "mixed_float16", "mixed_bfloat16"])
        units = rng.randint(1, 12)
        dt = "" if layer_dtype is None else f", dtype={layer_dtype!r}"
        act = rng.choice(["None", "'relu'", "'softmax'"])
        out.append(
            f"x = keras.Input(shape={shape}, dtype={dtype!r})\n"
            f"y = layers.Dense({units}, activation={act}{dt})(x)"
        )
    return out


@pytest.mark.parametrize("src", _dense_cases(24, seed=1))
def test_dense_generated(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "make",
    ["tf.ones((2, 5))", "np.ones((3, 4, 5))", "tf.zeros((2, 5), dtype='int32')", "np.zeros((2, 5), dtype='int64')"],
)
def test_dense_eager(make: str) -> None:
    assert_agrees(f"x = {make}\ny = layers.Dense(6)(x)", ["x", "y"])


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=())\ny = layers.Dense(3)(x)",
        "x = tf.ones((5,))\ny = layers.Dense(3)(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Dense(0)(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Dense(-2)(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Dense(3.0)(x)",
    ],
)
def test_dense_mistakes_flagged(src: str) -> None:
    assert_agrees(src, ["x", "y"], require_exact=False, tf_raises=True)
    assert run_engine(src).errors


def test_dense_in_sequential() -> None:
    assert_agrees(
        """
        model = keras.Sequential([
            keras.Input(shape=(20,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(10, activation="softmax"),
        ])
        y = model.outputs[0]
        """,
        ["y"],
    )


# ----------------------------------------------------------------------------------------------
# EinsumDense


def _einsum_cases(n: int, seed: int) -> list[tuple[str, str]]:
    """Random valid EinsumDense configurations: (equation, output_shape, input shape...)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        form = rng.choice(["plain", "plain", "left", "right"])
        rank = rng.randint(2, 4)
        letters = "bcde"[: rank - 1]
        dims = {ch: rng.randint(1, 6) for ch in letters}
        contracted = [ch for ch in letters if rng.random() < 0.5] or [letters[-1]]
        kept = [ch for ch in letters if ch not in contracted]
        shared = [ch for ch in kept if rng.random() < 0.3]
        new = list("xyz"[: rng.randint(0 if kept else 1, 2)])
        new_dims = {ch: rng.randint(1, 7) for ch in new}
        kernel = "".join(contracted + shared + new)
        out_letters = kept + new
        rng.shuffle(out_letters)
        out_shape: list[object] = []
        for ch in out_letters:
            if ch in new_dims:
                out_shape.append(new_dims[ch])
            else:
                out_shape.append(rng.choice([dims[ch], None]))
        bias = rng.choice([None, "".join(o for o in out_letters if o in new_dims) or None])
        input_shape = tuple(dims[ch] for ch in letters)
        if form == "plain":
            eq = f"a{letters},{kernel}->a{''.join(out_letters)}"
        elif form == "left":
            # '...' stands for the batch (and one extra axis when present)
            inner = letters[1:] if len(letters) > 1 else letters
            contracted_l = [ch for ch in contracted if ch in inner] or [inner[-1]]
            kept_l = [ch for ch in inner if ch not in contracted_l]
            kernel = "".join(contracted_l + new)
            outs = kept_l + new
            if not outs:
                new = ["x"]
                new_dims = {"x": rng.randint(1, 7)}
                kernel += "x"
                outs = ["x"]
            eq = f"...{inner},{kernel}->...{''.join(outs)}"
            out_shape = [new_dims[ch] if ch in new_dims else rng.choice([dims[ch], None]) for ch in outs]
            bias = rng.choice([None, outs[-1]])
            if bias is not None and out_shape[-1] is None:
                out_shape[-1] = dims[bias]  # Keras cannot make a bias of unknown size
        else:
            inner = letters[:1]
            kernel = f"{inner}x"
            eq = f"a{inner}...,{kernel}->ax..."
            out_shape = [rng.randint(1, 7)]
            bias = rng.choice([None, "x"])
        b = "" if bias is None else f", bias_axes={bias!r}"
        cases.append((
            f"x = keras.Input(shape={input_shape})\n"
            f"y = layers.EinsumDense({eq!r}, output_shape={tuple(out_shape)!r}{b})(x)",
            eq,
        ))
    return cases


@pytest.mark.parametrize("src,eq", _einsum_cases(40, seed=7))
def test_einsum_dense_generated(src: str, eq: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(None, 64), bias_axes='d')(x)",
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(5, 64))(x)",
        "x = keras.Input(shape=(16,))\ny = layers.EinsumDense('ab,bc->ac', output_shape=64, bias_axes='c')(x)",
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('...c,cd->...d', output_shape=64)(x)",
        "x = keras.Input(shape=(7, 5, 16))\ny = layers.EinsumDense('...c,cd->...d', output_shape=64)(x)",
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('abc,cde->abde', output_shape=(5, 4, 8))(x)",
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('ab...,bc->ac...', output_shape=(8,))(x)",
        "x = keras.Input(shape=(4, 5, 16))\ny = layers.EinsumDense('abcd,de->abce', output_shape=(None, None, 3), bias_axes='e')(x)",
    ],
)
def test_einsum_dense_examples(src: str) -> None:
    assert_agrees(src, ["x", "y"])


def test_einsum_dense_eager() -> None:
    assert_agrees(
        "x = tf.ones((2, 5, 16))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(None, 64))(x)",
        ["x", "y"],
    )


@pytest.mark.parametrize(
    "src",
    [
        # input rank does not match the equation
        "x = keras.Input(shape=(5,))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(5, 64))(x)",
        # output_shape contradicts the shared dimension b
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(6, 64))(x)",
        # bias on an axis that is not in the output
        "x = keras.Input(shape=(5, 16))\ny = layers.EinsumDense('abc,cd->abd', output_shape=(5, 64), bias_axes='c')(x)",
        # output letter from nowhere
        "x = keras.Input(shape=(16,))\ny = layers.EinsumDense('ab,bc->ad', output_shape=(4,))(x)",
        # not an einsum equation Keras accepts
        "x = keras.Input(shape=(16,))\ny = layers.EinsumDense('ab->a', output_shape=(4,))(x)",
    ],
)
def test_einsum_dense_mistakes_flagged(src: str) -> None:
    v = compare(src, ["x", "y"])
    assert v.ok, v.detail
    assert run_engine(src).errors


# ----------------------------------------------------------------------------------------------
# activations, dropout/noise, Identity, Masking


_SHAPE_LAYERS = [
    "layers.Activation('relu')",
    "layers.Activation('softmax')",
    "layers.Activation(None)",
    "layers.ReLU()",
    "layers.ReLU(max_value=6.0)",
    "layers.LeakyReLU()",
    "layers.LeakyReLU(negative_slope=0.1)",
    "layers.PReLU()",
    "layers.ELU()",
    "layers.Softmax()",
    "layers.Softmax(axis=1)",
    "layers.Dropout(0.5)",
    "layers.Dropout(0.2, noise_shape=(None, 1, 5))",
    "layers.GaussianNoise(0.1)",
    "layers.GaussianDropout(0.1)",
    "layers.AlphaDropout(0.1)",
    "layers.SpatialDropout1D(0.1)",
    "layers.Identity()",
    "layers.Masking()",
    "layers.Masking(mask_value=-1.0)",
]


@pytest.mark.parametrize("dtype", ["float32", "int32", "float16", "float64", "bool", "uint8"])
@pytest.mark.parametrize("lay", _SHAPE_LAYERS)
def test_shape_preserving_symbolic(lay: str, dtype: str) -> None:
    assert_agrees(f"x = keras.Input(shape=(4, 5), dtype={dtype!r})\ny = {lay}(x)", ["x", "y"])


@pytest.mark.parametrize("dtype", ["float32", "int32", "float64", "bool", "int64"])
@pytest.mark.parametrize("lay", _SHAPE_LAYERS)
def test_shape_preserving_eager(lay: str, dtype: str) -> None:
    # ReLU(max_value=...) on ints, Activation('softmax') on ints: dtype left unknown
    src = f"x = tf.zeros((2, 4, 5), dtype={dtype!r})\ny = {lay}(x)"
    v = compare(src, ["x", "y"])
    assert v.ok, f"{v.detail}\n{src}"
    if dtype.startswith("float"):
        assert v.exact, src


@pytest.mark.parametrize("lay", ["layers.Dropout(0.3)", "layers.Identity()", "layers.Softmax()"])
def test_layer_dtype_argument(lay: str) -> None:
    inner = lay[:-1] + (", " if not lay.endswith("()") else "") + "dtype='float16')"
    assert_agrees(f"x = keras.Input(shape=(3,))\ny = {inner}(x)", ["x", "y"])


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(12,))\ny = layers.SpatialDropout1D(0.1)(x)",
        "x = keras.Input(shape=(4, 5))\ny = layers.SpatialDropout2D(0.1)(x)",
        "x = keras.Input(shape=(4, 5, 6))\ny = layers.SpatialDropout3D(0.1)(x)",
        "x = keras.Input(shape=(4, 5, 6, 7))\ny = layers.SpatialDropout2D(0.1)(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Dropout(1.5)(x)",
        "x = keras.Input(shape=(4, 5))\ny = layers.PReLU(shared_axes=[3])(x)",
    ],
)
def test_dropout_mistakes_flagged(src: str) -> None:
    assert_agrees(src, ["x", "y"], require_exact=False, tf_raises=True)
    assert run_engine(src).errors


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(7, 3))\ny = layers.SpatialDropout1D(0.1)(x)",
        "x = keras.Input(shape=(7, 8, 3))\ny = layers.SpatialDropout2D(0.1)(x)",
        "x = keras.Input(shape=(3, 7, 8), dtype='float64')\ny = layers.SpatialDropout2D(0.1, data_format='channels_first')(x)",
        "x = keras.Input(shape=(4, 5, 6, 2))\ny = layers.SpatialDropout3D(0.1)(x)",
        "x = keras.Input(shape=(4, 5))\ny = layers.PReLU(shared_axes=[1, 2])(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Dropout(1.0)(x)",
    ],
)
def test_dropout_correct_is_quiet(src: str) -> None:
    assert_agrees(src, ["x", "y"])


# ----------------------------------------------------------------------------------------------
# Embedding


def _embedding_cases(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        rank = rng.randint(0, 3)
        shape = tuple(rng.choice([None, 1, 4, 12]) for _ in range(rank))
        dtype = rng.choice(["int32", "int64", "float32", "uint8", "string"])
        layer_dtype = rng.choice([None, None, "float16", "mixed_float16", "float64"])
        dt = "" if layer_dtype is None else f", dtype={layer_dtype!r}"
        mask = rng.choice(["", ", mask_zero=True"])
        out.append(
            f"x = keras.Input(shape={shape}, dtype={dtype!r})\n"
            f"y = layers.Embedding({rng.randint(2, 500)}, {rng.randint(1, 32)}{dt}{mask})(x)"
        )
    return out


@pytest.mark.parametrize("src", _embedding_cases(16, seed=3))
def test_embedding_generated(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "make",
    ["tf.zeros((2, 6), dtype='int32')", "np.zeros((3, 2, 6), dtype='int64')", "tf.ones((4, 3))", "tf.constant(3)"],
)
def test_embedding_eager(make: str) -> None:
    assert_agrees(f"x = {make}\ny = layers.Embedding(10, 8)(x)", ["x", "y"])


def test_embedding_sequential() -> None:
    assert_agrees(
        """
        model = keras.Sequential([
            keras.Input(shape=(50,), dtype="int32"),
            layers.Embedding(10000, 64),
            layers.GlobalAveragePooling1D(),
            layers.Dense(1, activation="sigmoid"),
        ])
        y = model.outputs[0]
        """,
        ["y"],
        require_exact=False,  # GlobalAveragePooling1D is another module's rule
    )


# ----------------------------------------------------------------------------------------------
# Lambda


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(5,))\ny = layers.Lambda(lambda t: t * 2)(x)",
        "x = keras.Input(shape=(5,), dtype='int32')\ny = layers.Lambda(lambda t: t * 2)(x)",
        "x = keras.Input(shape=(5, 3))\ny = layers.Lambda(lambda t: t + 1.0)(x)",
        "x = keras.Input(shape=(5, 3))\ny = layers.Lambda(lambda t: -t)(x)",
        "x = keras.Input(shape=(5,))\ny = layers.Lambda(lambda t: t, output_shape=(7,))(x)",
        "x = keras.Input(shape=(5,))\ny = layers.Lambda(lambda t: t, output_shape=lambda s: (s[0], 9))(x)",
        "x = keras.Input(shape=(5,))\ny = layers.Lambda(lambda t, k: t * k, arguments={'k': 3})(x)",
        "x = keras.Input(shape=(5,), dtype='float64')\ny = layers.Lambda(lambda t: t * 2, dtype='float16')(x)",
        "x = keras.Input(shape=(4,))\ny = layers.Lambda(lambda t: t[:, :2])(x)",
    ],
)
def test_lambda_symbolic(src: str) -> None:
    assert_agrees(src, ["x", "y"])


def test_lambda_output_shape_as_a_list_fails_in_keras_3() -> None:
    # Keras 3 adds the batch axis with `(None,) + output_shape`, a TypeError for a list
    assert_agrees(
        "x = keras.Input(shape=(5,))\ny = layers.Lambda(lambda t: t, output_shape=[3, 2])(x)",
        ["x", "y"], require_exact=False, tf_raises=True,
    )


def test_lambda_named_function() -> None:
    assert_agrees(
        """
        def double(t):
            out = t * 2.0
            return out

        x = keras.Input(shape=(6, 2))
        y = layers.Lambda(double)(x)
        """,
        ["x", "y"],
    )


def test_lambda_named_output_shape_function() -> None:
    assert_agrees(
        """
        def shape_fn(s):
            return (s[0], s[1] * 2)

        x = keras.Input(shape=(6,))
        y = layers.Lambda(lambda t: t, output_shape=shape_fn)(x)
        """,
        ["x", "y"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "x = tf.ones((2, 5))\ny = layers.Lambda(lambda t: t * 2)(x)",
        "x = tf.zeros((2, 5), dtype='int32')\ny = layers.Lambda(lambda t: t * 2)(x)",
        "x = np.ones((2, 5))\ny = layers.Lambda(lambda t: t + 1)(x)",
    ],
)
def test_lambda_eager(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "body",
    [
        "lambda t: tf.expand_dims(t, -1)",
        "lambda t: tf.reduce_sum(t, axis=1)",
        "lambda t: tf.reshape(t, (-1, 2, 3))",
        "lambda t: tf.nn.l2_normalize(t, axis=-1)",
        "lambda t: ops.mean(t, axis=-1, keepdims=True)",
        "tf.nn.relu",
    ],
)
def test_lambda_tf_ops(body: str) -> None:
    # the tf/ops rules belong to another module: only agreement is required here
    assert_agrees(f"x = keras.Input(shape=(6,))\ny = layers.Lambda({body})(x)", ["x", "y"], require_exact=False)
    assert_agrees(f"x = tf.ones((2, 6))\ny = layers.Lambda({body})(x)", ["x", "y"], require_exact=False)


def test_lambda_in_sequential() -> None:
    assert_agrees(
        """
        model = keras.Sequential([
            keras.Input(shape=(8,)),
            layers.Lambda(lambda t: t / 255.0),
            layers.Dense(4),
        ])
        y = model.outputs[0]
        """,
        ["y"],
    )


def test_chain_with_dtype_changes() -> None:
    assert_agrees(
        """
        ids = keras.Input(shape=(10,), dtype="int32")
        e = layers.Embedding(100, 8)(ids)
        d = layers.Dropout(0.1)(e)
        m = layers.Masking()(d)
        a = layers.Activation("tanh")(m)
        h = layers.Dense(3, dtype="float64")(a)
        s = layers.Softmax()(h)
        i = layers.Identity()(ids)
        """,
        ["ids", "e", "d", "m", "a", "h", "s", "i"],
    )
