"""Differential tests for the preprocessing layers (layers/preprocessing.py) against Keras 3.

Symbolic calls follow each layer's compute_output_shape/spec, eager calls what ``call``
returns; both are checked, with generated configurations (``random.Random(seed)``) and the
edge cases where Keras' two paths disagree (multi_hot dtypes, RandomCrop at inference).
"""

from __future__ import annotations

import random
import textwrap

import pytest

from oracle.harness import PREAMBLE, assert_agrees, assert_agrees_or_flagged, compare, run_engine, run_real
from oracle.op_cases import agree
from shapelens.core.analysis import analyze_source


def _warnings(src: str) -> list[str]:
    analysis = analyze_source(PREAMBLE + textwrap.dedent(src))
    return [i.message for i in analysis.issues if i.severity == "warning"]


def _flagged(src: str, names: list[str]) -> None:
    """Keras raises, the engine reports an error and claims nothing wrong."""
    real = run_real(src, names)
    assert real.error is not None, f"TF ran without raising:\n{src}"
    v = compare(src, names, real)
    assert v.ok, f"{v.detail}\n{src}"
    assert run_engine(src).errors, f"engine should flag:\n{src}"


# ----------------------------------------------------------------------------------------------
# Rescaling / Normalization


@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32", "float64"])
@pytest.mark.parametrize(
    "lay",
    [
        "layers.Rescaling(1.0 / 255)",
        "layers.Rescaling(scale=2.0, offset=-1.0)",
        "layers.Rescaling(0.5, dtype='float16')",
        "layers.Normalization(mean=0.5, variance=0.25)",
        "layers.Normalization(axis=-1, mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])",
        "layers.Normalization(axis=None, mean=1.0, variance=2.0)",
        "layers.Normalization(axis=(1, 2), mean=1.0, variance=2.0)",
        "layers.Normalization(mean=[1.0], variance=[2.0], invert=True)",
        "layers.Normalization()",
    ],
)
def test_rescale_normalize(lay: str, dtype: str) -> None:
    assert_agrees(f"x = keras.Input(shape=(8, 6, 3), dtype={dtype!r})\ny = {lay}(x)", ["x", "y"])
    assert_agrees(f"x = tf.zeros((2, 8, 6, 3), dtype={dtype!r})\ny = {lay}(x)", ["x", "y"])


def test_normalization_adapt() -> None:
    assert_agrees(
        """
        x = keras.Input(shape=(3, 4))
        norm = layers.Normalization()
        norm.adapt(np.ones((10, 3, 4)))
        y = norm(x)
        """,
        ["x", "y"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(3, 4))\ny = layers.Normalization(axis=3, mean=1.0, variance=1.0)(x)",
        "x = keras.Input(shape=(3, 4))\ny = layers.Normalization(axis=-4, mean=1.0, variance=1.0)(x)",
        "x = keras.Input(shape=(3, 4))\ny = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])(x)",
        "x = keras.Input(shape=(3, 4))\ny = layers.Normalization(mean=1.0)(x)",
    ],
)
def test_normalization_mistakes_flagged(src: str) -> None:
    _flagged(src, ["x", "y"])


# ----------------------------------------------------------------------------------------------
# Resizing / CenterCrop / RandomCrop


def _geometry_cases(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lay = rng.choice(["Resizing", "CenterCrop", "RandomCrop"])
        fmt = rng.choice(["channels_last", "channels_last", "channels_first"])
        h, w = rng.randint(1, 40), rng.randint(1, 40)
        src_h = rng.choice([None, rng.randint(1, 64)])
        src_w = rng.choice([None, rng.randint(1, 64)])
        c = rng.choice([1, 3, 4])
        shape = (src_h, src_w, c) if fmt == "channels_last" else (c, src_h, src_w)
        dtype = rng.choice(["float32", "uint8", "float64"])
        extra = ""
        if lay == "Resizing":
            extra = rng.choice(["", ", crop_to_aspect_ratio=True", ", pad_to_aspect_ratio=True", ", interpolation='nearest'"])
        out.append(
            f"x = keras.Input(shape={shape}, dtype={dtype!r})\n"
            f"y = layers.{lay}({h}, {w}, data_format={fmt!r}{extra})(x)"
        )
    return out


@pytest.mark.parametrize("src", _geometry_cases(30, seed=11))
def test_geometry_generated(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize("lay", ["Resizing", "CenterCrop", "RandomCrop"])
@pytest.mark.parametrize("dtype", ["float32", "uint8", "int32", "float64"])
@pytest.mark.parametrize("shape", [(2, 32, 40, 3), (32, 40, 3)])
@pytest.mark.parametrize("training", [None, True, False])
def test_geometry_eager(lay: str, dtype: str, shape: tuple[int, ...], training: bool | None) -> None:
    kw = "" if training is None else f", training={training}"
    assert_agrees(f"x = tf.zeros({shape}, dtype={dtype!r})\ny = layers.{lay}(16, 20)(x{kw})", ["x", "y"])


def test_rank3_input_is_one_unbatched_image() -> None:
    # Keras takes (None, 32, 40) as (height, width, channels): the batch axis gets resized
    src = "x = keras.Input(shape=(32, 40))\ny = layers.Resizing(16, 20)(x)"
    assert_agrees(src, ["x", "y"])
    assert any("unbatched" in w for w in _warnings(src))


def test_rank4_image_is_quiet() -> None:
    src = "x = keras.Input(shape=(32, 40, 3))\ny = layers.Resizing(16, 20)(x)\nz = layers.CenterCrop(8, 8)(y)"
    assert_agrees(src, ["x", "y", "z"])
    assert not _warnings(src)


def test_random_crop_inference_warning() -> None:
    # Keras 3.15: RandomCrop(training=False) returns the input unchanged, so model.predict()
    # fails in the Dense layer while model(x) (training defaults to True) works
    src = """
    model = keras.Sequential([keras.Input((32, 40, 3)), layers.RandomCrop(16, 20), layers.Flatten(), layers.Dense(2)])
    y = model.outputs[0]
    z = model(np.ones((2, 32, 40, 3)))
    """
    assert_agrees(src, ["y", "z"])
    assert any("inference" in w for w in _warnings(src))


def test_random_crop_same_size_is_quiet() -> None:
    assert not _warnings("x = keras.Input((16, 20, 3))\ny = layers.RandomCrop(16, 20)(x)")


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(32,))\ny = layers.CenterCrop(8, 8)(x)",
        "x = keras.Input(shape=(4, 32, 40, 3))\ny = layers.CenterCrop(8, 8)(x)",
        "x = keras.Input(shape=(32,))\ny = layers.RandomCrop(8, 8)(x)",
        "x = keras.Input(shape=(32, 40, 3))\ny = layers.Resizing(16.0, 20)(x)",
        "x = tf.zeros((32, 40))\ny = layers.Resizing(16, 20)(x)",
        "x = tf.zeros((2, 2, 32, 40, 3))\ny = layers.CenterCrop(16, 20)(x)",
        "x = tf.zeros((32, 40))\ny = layers.RandomFlip()(x)",
    ],
)
def test_geometry_mistakes_flagged(src: str) -> None:
    _flagged(src, ["x", "y"])


# ----------------------------------------------------------------------------------------------
# augmentation layers


_AUGMENT = [
    "layers.RandomFlip()",
    "layers.RandomFlip('horizontal')",
    "layers.RandomRotation(0.1)",
    "layers.RandomZoom(0.1)",
    "layers.RandomZoom(0.1, 0.2)",
    "layers.RandomTranslation(0.1, 0.1)",
    "layers.RandomContrast(0.1)",
    "layers.RandomBrightness(0.1)",
    "layers.RandomGrayscale()",
    "layers.RandomHue(0.1)",
    "layers.RandomSaturation(0.1)",
    "layers.RandomSharpness(0.1)",
    "layers.RandomShear(0.1, 0.1)",
    "layers.RandomColorJitter(brightness_factor=0.1)",
    "layers.RandomColorDegeneration(0.1)",
    "layers.RandomPosterization(4)",
    "layers.RandomInvert()",
    "layers.RandomErasing()",
    "layers.RandomGaussianBlur()",
    "layers.RandomElasticTransform()",
    "layers.RandomPerspective()",
    "layers.AutoContrast()",
    "layers.Equalization()",
    "layers.Solarization(0.1)",
    "layers.MixUp()",
    "layers.CutMix()",
    "layers.AugMix()",
    "layers.RandAugment()",
]


@pytest.mark.parametrize("dtype", ["float32", "uint8", "float64"])
@pytest.mark.parametrize("lay", _AUGMENT)
def test_augment_symbolic(lay: str, dtype: str) -> None:
    assert_agrees(f"x = keras.Input(shape=(16, 20, 3), dtype={dtype!r})\ny = {lay}(x)", ["x", "y"])


@pytest.mark.parametrize("lay", _AUGMENT)
def test_augment_symbolic_other_ranks(lay: str) -> None:
    for shape in ["(16, 20)", "(16,)", "(4, 16, 20, 3)"]:
        v = compare(f"x = keras.Input(shape={shape})\ny = {lay}(x)", ["x", "y"])
        assert v.ok, f"{v.detail} {lay} {shape}"


@pytest.mark.parametrize("lay", _AUGMENT)
def test_augment_eager_needs_rank_3_or_4(lay: str) -> None:
    for shape in ["(16, 20)", "(2, 2, 16, 20, 3)"]:
        _flagged(f"x = tf.zeros({shape})\ny = {lay}(x)", ["x", "y"])


def _augment_eager_cases(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        lay = rng.choice(_AUGMENT)
        dtype = rng.choice(["float32", "uint8", "int32", "float64"])
        shape = rng.choice([(2, 16, 20, 3), (16, 20, 3)])
        training = rng.choice(["", ", training=True", ", training=False"])
        out.append(f"x = tf.zeros({shape}, dtype={dtype!r})\ny = {lay}(x{training})")
    return out


@pytest.mark.parametrize(
    "src",
    [
        "x = np.zeros((4, 16, 16, 3), 'uint8')\ny = layers.RandomContrast(0.2)(x)",
        "x = tf.zeros((16, 16, 3), 'int64')\ny = layers.RandomSaturation(0.2)(x, training=True)",
        "x = tf.zeros((2, 16, 16, 3), 'int32')\ny = layers.RandomContrast(0.2)(x, training=True)",
    ],
)
def test_contrast_and_saturation_reject_integer_images_in_training(src: str) -> None:
    _flagged(src, ["x", "y"])


@pytest.mark.parametrize(
    "src",
    [
        "x = np.zeros((4, 16, 16, 3), 'uint8')\ny = layers.RandomContrast(0.2)(x, training=False)",
        "x = np.zeros((4, 16, 16, 3), 'uint8')\ny = layers.RandomContrast(0.2)(x.astype('float32'))",
        "x = np.zeros((4, 16, 16, 3), 'uint8')\n"
        "y = keras.Sequential([layers.Rescaling(1 / 255), layers.RandomSaturation(0.2)])(x)",
        "x = np.zeros((4, 16, 16, 3), 'uint8')\n"
        "y = keras.Sequential([layers.RandomFlip(), layers.RandomContrast(0.2)])(x)",
    ],
)
def test_contrast_and_saturation_take_float_images_or_inference(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "model",
    [
        "keras.Sequential([keras.Input((16, 16, 3)), layers.RandomContrast(0.2), layers.Flatten(), layers.Dense(2)])",
        "keras.Sequential([layers.RandomSaturation(0.2), layers.Flatten(), layers.Dense(2)])",
    ],
)
def test_integer_images_fed_to_a_model_are_converted_at_its_inputs(model: str) -> None:
    # a Sequential converts its data to its input dtype (float32) before any layer runs
    src = (
        f"model = {model}\n"
        "model.compile('adam', 'sparse_categorical_crossentropy')\n"
        "x = np.zeros((8, 16, 16, 3), 'uint8')\n"
        "model.fit(x, np.zeros((8,)), epochs=1, verbose=0)\n"
        "p = model.predict(x, verbose=0)\n"
    )
    real, eng = run_real(src, ["p"]), run_engine(src)
    assert real.error is None, real.error
    assert not eng.errors, eng.errors


def test_an_explicit_training_none_is_not_the_default_true() -> None:
    # Keras passes None on to the layer (inference outside fit): integer images go through
    assert_agrees(
        "x = tf.zeros((2, 16, 16, 3), 'int32')\ny = layers.RandomContrast(0.2)(x, training=None)",
        ["x", "y"],
        require_exact=False,
    )


@pytest.mark.parametrize("src", _augment_eager_cases(40, seed=5))
def test_augment_eager_generated(src: str) -> None:
    # RandomContrast/RandomSaturation reject integer images in training: flagged, not compared
    assert_agrees_or_flagged(src, ["x", "y"])


def test_augmentation_pipeline_model() -> None:
    assert_agrees(
        """
        augment = keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.1)])
        inputs = keras.Input(shape=(64, 64, 3))
        x = augment(inputs)
        x = layers.Rescaling(1.0 / 255)(x)
        y = layers.Resizing(32, 32)(x)
        """,
        ["inputs", "x", "y"],
    )


# ----------------------------------------------------------------------------------------------
# TextVectorization


def _tv_cases(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        mode = rng.choice(["int", "int", "multi_hot", "count", "tf_idf"])
        kw = [f"output_mode={mode!r}"]
        vocab = None
        if rng.random() < 0.6 or mode == "tf_idf":
            vocab = [f"w{i}" for i in range(rng.randint(1, 9))]
            kw.append(f"vocabulary={vocab!r}")
            if mode == "tf_idf":
                kw.append(f"idf_weights={[1.0] * len(vocab)!r}")
        if rng.random() < 0.5:
            kw.append(f"max_tokens={rng.randint(12, 40)}")
            if mode != "int" and rng.random() < 0.5:
                kw.append("pad_to_max_tokens=True")
        if mode == "int" and rng.random() < 0.6:
            kw.append(f"output_sequence_length={rng.randint(1, 12)}")
        if rng.random() < 0.25:
            kw.append("split=None")
        shape = rng.choice(["()", "(1,)"])
        out.append(
            f"x = keras.Input(shape={shape}, dtype='string')\n"
            f"y = layers.TextVectorization({', '.join(kw)})(x)"
        )
    return out


@pytest.mark.parametrize("src", _tv_cases(30, seed=21))
def test_text_vectorization_generated(src: str) -> None:
    assert_agrees(src, ["x", "y"])


@pytest.mark.parametrize(
    "kw",
    [
        "vocabulary=['a', 'b', 'c']",
        "vocabulary=['a', 'b', 'c'], output_sequence_length=6",
        "vocabulary=['a', 'b', 'c'], output_mode='multi_hot'",
        "vocabulary=['a', 'b', 'c'], output_mode='count'",
        "vocabulary=['a', 'b', 'c'], output_mode='tf_idf', idf_weights=[1.0, 1.0, 1.0]",
        "vocabulary=['a', 'b'], max_tokens=10, pad_to_max_tokens=True, output_mode='multi_hot'",
        "vocabulary=['a', 'b'], split=None",
    ],
)
@pytest.mark.parametrize(
    "make", ["tf.constant(['a b c', 'd e'])", "tf.constant([['a b c'], ['d e']])", "['a b c', 'd e']", "'a b c'"]
)
def test_text_vectorization_eager(kw: str, make: str) -> None:
    src = f"x = {make}\ny = layers.TextVectorization({kw})(x)"
    v = compare(src, ["x", "y"])
    assert v.ok, f"{v.detail}\n{src}"


def test_text_vectorization_ragged() -> None:
    assert_agrees(
        "x = keras.Input(shape=(), dtype='string')\ny = layers.TextVectorization(ragged=True)(x)", ["x", "y"]
    )
    assert_agrees(
        "x = tf.constant(['a b', 'c'])\ny = layers.TextVectorization(vocabulary=['a'], ragged=True)(x)",
        ["x", "y"],
        require_exact=False,
    )


def test_text_classifier_model() -> None:
    assert_agrees(
        """
        vectorize = layers.TextVectorization(max_tokens=20000, output_mode="int", output_sequence_length=200)
        text = keras.Input(shape=(1,), dtype="string")
        ids = vectorize(text)
        emb = layers.Embedding(20000, 64)(ids)
        pooled = layers.GlobalAveragePooling1D()(emb)
        y = layers.Dense(1, activation="sigmoid")(pooled)
        """,
        ["text", "ids", "emb", "y"],
        require_exact=False,  # GlobalAveragePooling1D belongs to another module
    )


@pytest.mark.parametrize(
    "kw",
    [
        "output_mode='multi_hot', ragged=True",
        "output_mode='count', output_sequence_length=5",
        "vocabulary=['a', 'b'], output_mode='tf_idf'",
        "vocabulary=['a', 'b', 'c'], max_tokens=3, output_mode='multi_hot'",
        "output_mode='multi_hot', pad_to_max_tokens=True",
    ],
)
def test_text_vectorization_mistakes_flagged(kw: str) -> None:
    _flagged(f"x = keras.Input(shape=(), dtype='string')\ny = layers.TextVectorization({kw})(x)", ["x", "y"])


# ----------------------------------------------------------------------------------------------
# StringLookup / IntegerLookup


def _lookup_cases(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        string = rng.random() < 0.6
        mode = rng.choice(["int", "one_hot", "multi_hot", "count", "tf_idf"])
        size = rng.randint(1, 8)
        vocab: list[object] = [f"t{i}" for i in range(size)] if string else list(range(1, size + 1))
        kw = [f"output_mode={mode!r}"]
        if rng.random() < 0.8 or mode == "tf_idf":
            kw.append(f"vocabulary={vocab!r}")
            if mode == "tf_idf":
                kw.append(f"idf_weights={[1.0] * size!r}")
        n_oov = rng.choice([None, 0, 1, 2])
        if n_oov is not None:
            kw.append(f"num_oov_indices={n_oov}")
        if rng.random() < 0.3:
            kw.append("mask_token=''" if string else "mask_token=0")
        if rng.random() < 0.3:
            kw.append(f"max_tokens={size + 4}")
            if mode != "int" and rng.random() < 0.5:
                kw.append("pad_to_max_tokens=True")
        shape = rng.choice([(), (1,), (3,), (3, 1), (2, 3)])
        dtype = "string" if string else rng.choice(["int64", "int32"])
        cls = "StringLookup" if string else "IntegerLookup"
        eager_shape = (2, *shape)
        out.append((
            f"x = keras.Input(shape={shape}, dtype={dtype!r})\ny = layers.{cls}({', '.join(kw)})(x)",
            (f"x = tf.fill({eager_shape}, 't0')" if string else f"x = tf.ones({eager_shape}, dtype={dtype!r})")
            + f"\ny = layers.{cls}({', '.join(kw)})(x)",
        ))
    return out


@pytest.mark.parametrize("sym,eager", _lookup_cases(36, seed=8))
def test_lookup_generated(sym: str, eager: str) -> None:
    assert_agrees(sym, ["x", "y"])
    v = compare(eager, ["x", "y"])
    assert v.ok, f"{v.detail}\n{eager}"


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(3,), dtype='int64')\ny = layers.StringLookup(vocabulary=['a', 'b'], invert=True)(x)",
        "x = tf.ones((2, 3), dtype='int64')\ny = layers.StringLookup(vocabulary=['a', 'b'], invert=True)(x)",
        "x = keras.Input(shape=(3,), dtype='int64')\ny = layers.IntegerLookup(vocabulary=[5, 6], invert=True)(x)",
        "x = keras.Input(shape=(3,))\ny = layers.IntegerLookup(vocabulary=[5, 6])(x)",
        "x = tf.ones((2, 3))\ny = layers.IntegerLookup(vocabulary=[5, 6])(x)",
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.StringLookup(vocabulary=['[UNK]', 'a', 'b'], output_mode='multi_hot')(x)",
    ],
)
def test_lookup_edge_cases(src: str) -> None:
    assert_agrees(src, ["x", "y"])


def test_lookup_adapt_leaves_width_unknown() -> None:
    assert_agrees(
        """
        x = keras.Input(shape=(3,), dtype="string")
        lookup = layers.StringLookup(output_mode="multi_hot")
        lookup.adapt(["a", "b", "c"])
        y = lookup(x)
        """,
        ["x", "y"],
        require_exact=False,
    )


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.StringLookup(vocabulary=['a', 'b', 'c'], max_tokens=3)(x)",
        "x = keras.Input(shape=(3,), dtype='int64')\ny = layers.IntegerLookup(vocabulary=[1, 2, 3], mask_token=0, max_tokens=4)(x)",
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.StringLookup(output_mode='multi_hot', pad_to_max_tokens=True)(x)",
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.StringLookup(output_mode='onehot')(x)",
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.StringLookup(vocabulary=['a'], output_mode='tf_idf')(x)",
    ],
)
def test_lookup_mistakes_flagged(src: str) -> None:
    _flagged(src, ["x", "y"])


@pytest.mark.parametrize(
    "src",
    [
        "x = tf.constant(['a b'])\ny = layers.TextVectorization()(x)",
        "x = tf.constant(['a'])\ny = layers.StringLookup()(x)",
        "x = tf.constant([1])\ny = layers.IntegerLookup(output_mode='multi_hot', max_tokens=4, pad_to_max_tokens=True)(x)",
    ],
)
def test_eager_lookup_without_vocabulary_flagged(src: str) -> None:
    _flagged(src, ["x", "y"])


def test_eager_lookup_after_adapt_is_quiet() -> None:
    assert_agrees(
        """
        lookup = layers.StringLookup()
        lookup.adapt(["a", "b", "c"])
        x = tf.constant(["a", "c"])
        y = lookup(x)
        """,
        ["x", "y"],
    )


# ----------------------------------------------------------------------------------------------
# CategoryEncoding / Hashing / Discretization / HashedCrossing


def _categorical_cases(n: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        kind = rng.choice(["CategoryEncoding", "Hashing", "Discretization"])
        shape = rng.choice([(), (1,), (3,), (3, 1), (2, 3)])
        eager_shape = (2, *shape)
        if kind == "CategoryEncoding":
            mode = rng.choice(["one_hot", "multi_hot", "count"])
            dt = rng.choice(["", ", dtype='int32'", ", dtype='float64'"])
            lay = f"layers.CategoryEncoding(num_tokens={rng.randint(2, 12)}, output_mode={mode!r}{dt})"
            dtype = rng.choice(["int32", "int64"])
            make = f"tf.ones({eager_shape}, dtype={dtype!r})"
        elif kind == "Hashing":
            mode = rng.choice(["int", "one_hot", "multi_hot", "count"])
            lay = f"layers.Hashing(num_bins={rng.randint(2, 12)}, output_mode={mode!r})"
            dtype = rng.choice(["string", "int64"])
            make = f"tf.fill({eager_shape}, 'a')" if dtype == "string" else f"tf.ones({eager_shape}, dtype='int64')"
        else:
            mode = rng.choice(["int", "one_hot", "multi_hot", "count"])
            bounds = sorted(rng.sample(range(-5, 6), rng.randint(1, 4)))
            if rng.random() < 0.7:
                lay = f"layers.Discretization(bin_boundaries={[float(b) for b in bounds]!r}, output_mode={mode!r})"
            else:
                lay = f"layers.Discretization(num_bins={rng.randint(2, 6)}, output_mode={mode!r})"
            dtype = "float32"
            make = f"tf.ones({eager_shape})"
        out.append((f"x = keras.Input(shape={shape}, dtype={dtype!r})\ny = {lay}(x)", f"x = {make}\ny = {lay}(x)"))
    return out


@pytest.mark.parametrize("sym,eager", _categorical_cases(45, seed=13))
def test_categorical_generated(sym: str, eager: str) -> None:
    assert_agrees(sym, ["x", "y"])
    v = compare(eager, ["x", "y"])
    assert v.ok, f"{v.detail}\n{eager}"


def test_category_encoding_count_weights() -> None:
    assert_agrees(
        """
        x = keras.Input(shape=(3,), dtype="int32")
        w = keras.Input(shape=(3,))
        y = layers.CategoryEncoding(num_tokens=6, output_mode="count")(x, count_weights=w)
        """,
        ["x", "y"],
    )


@pytest.mark.parametrize(
    "src,names",
    [
        ("a = keras.Input(shape=(3,), dtype='int32')\nb = keras.Input(shape=(3,), dtype='string')\ny = layers.HashedCrossing(num_bins=5)((a, b))", ["y"]),
        ("a = keras.Input(shape=(), dtype='int32')\nb = keras.Input(shape=(), dtype='string')\ny = layers.HashedCrossing(num_bins=5)((a, b))", ["y"]),
        ("a = keras.Input(shape=(3,), dtype='int32')\nb = keras.Input(shape=(3,), dtype='string')\ny = layers.HashedCrossing(num_bins=5, output_mode='one_hot')((a, b))", ["y"]),
        ("a = keras.Input(shape=(1,), dtype='int32')\nb = keras.Input(shape=(1,), dtype='string')\ny = layers.HashedCrossing(num_bins=5, output_mode='one_hot')([a, b])", ["y"]),
        ("a = tf.ones((2,), dtype='int32')\nb = tf.fill((2,), 'a')\ny = layers.HashedCrossing(num_bins=5)((a, b))", ["y"]),
        ("a = tf.ones((2,), dtype='int32')\nb = tf.fill((2,), 'a')\ny = layers.HashedCrossing(num_bins=5, output_mode='one_hot')((a, b))", ["y"]),
    ],
)
def test_hashed_crossing(src: str, names: list[str]) -> None:
    assert_agrees(src, names)


@pytest.mark.parametrize(
    "src",
    [
        "x = keras.Input(shape=(3,), dtype='int32')\ny = layers.CategoryEncoding()(x)",
        "x = keras.Input(shape=(3,), dtype='int32')\ny = layers.CategoryEncoding(num_tokens=4, output_mode='int')(x)",
        "x = keras.Input(shape=(3,), dtype='string')\ny = layers.Hashing(num_bins=4, dtype='float32')(x)",
        "x = keras.Input(shape=(3,))\ny = layers.Discretization(num_bins=4, bin_boundaries=[1.0])(x)",
        "x = keras.Input(shape=(3,))\ny = layers.Discretization()(x)",
        "x = keras.Input(shape=(3,))\ny = layers.Discretization(bin_boundaries=[1.0], sparse=True)(x)",
        "x = tf.ones((2, 3))\ny = layers.Discretization(num_bins=4)(x)",
        "a = keras.Input(shape=(3,), dtype='int32')\nb = keras.Input(shape=(4,), dtype='string')\ny = layers.HashedCrossing(num_bins=5)((a, b))",
        "a = tf.ones((2, 3), dtype='int32')\nb = tf.fill((2, 3), 'a')\ny = layers.HashedCrossing(num_bins=5)((a, b))",
    ],
)
def test_categorical_mistakes_flagged(src: str) -> None:
    _flagged(src, ["y"])


def test_lookup_vocabulary_sizes() -> None:
    """get_vocabulary()/vocabulary_size() of lookups given a literal vocabulary: mask (int
    mode), OOV tokens, then the tokens; a vocabulary that already starts with them is kept."""
    src = (
        "chars = sorted(set('2345678bcdefgmnpwxy'))\n"
        "a = layers.StringLookup(vocabulary=list(chars), mask_token=None)\n"
        "b = layers.StringLookup(vocabulary=a.get_vocabulary(), mask_token=None, invert=True)\n"
        "c = layers.StringLookup(vocabulary=['a', 'b'], mask_token='')\n"
        "d = layers.IntegerLookup(vocabulary=[3, 5, 7])\n"
        "e = layers.TextVectorization(vocabulary=['x', 'y'])\n"
        "f = layers.StringLookup(vocabulary=['a', 'b'], mask_token='', output_mode='multi_hot')\n"
        "g = layers.StringLookup(vocabulary=['a', 'b'], num_oov_indices=2)\n"
        "sizes = tf.zeros((len(a.get_vocabulary()), b.vocabulary_size(), len(c.get_vocabulary()),\n"
        "                  d.vocabulary_size(), len(e.get_vocabulary()), f.vocabulary_size(),\n"
        "                  len(g.get_vocabulary())))\n"
        "head = layers.Dense(len(a.get_vocabulary()) + 1)(keras.Input((4,)))\n"
    )
    agree(src, ["sizes", "head"])


def test_lookup_vocabulary_from_a_short_range() -> None:
    """A vocabulary of category codes written as ``np.arange(k)`` (or ``tf.range``) is as
    known as a literal list, so the embedding after it has a known size."""
    src = (
        "LEVELS = {'region': 8, 'tier': 3}\n"
        "sizes = []\n"
        "for name, k in LEVELS.items():\n"
        "    lookup = layers.IntegerLookup(vocabulary=np.arange(k, dtype='int32'))\n"
        "    sizes.append(lookup.vocabulary_size())\n"
        "hot = layers.IntegerLookup(vocabulary=tf.range(1, 6), output_mode='one_hot')(tf.constant([[1], [9]]))\n"
        "counts = tf.zeros(sizes)\n"
        "r = np.arange(3, 40, 5)\n"
        "picked = np.zeros((r[2], r[-1]))\n"
    )
    agree(src, ["hot", "counts", "r", "picked"])


def test_vocabulary_learned_by_adapt_on_literal_text() -> None:
    """adapt() on a literal list of sentences: the vocabulary Keras learns (lowercased,
    punctuation stripped, split on whitespace, most frequent first, cut to max_tokens) sizes
    the heads built from it."""
    assert_agrees(
        """
        corpus = ["The cat sat on the mat.", "A dog chased the ball!", "the cat, the dog", "ok"]
        tv = layers.TextVectorization(output_mode="int")
        tv.adapt(corpus)
        n = tv.vocabulary_size()
        head = layers.Dense(n)(keras.Input((4,)))
        small = layers.TextVectorization(max_tokens=6, output_sequence_length=5)
        small.adapt(corpus)
        capped = layers.Dense(small.vocabulary_size())(keras.Input((4,)))
        lower = layers.TextVectorization(standardize="lower", split="character")
        lower.adapt(["Ab, ab", "cd"])
        chars = np.zeros((lower.vocabulary_size(),))
        hot = layers.TextVectorization(output_mode="multi_hot")
        hot.adapt(corpus)
        multi = np.zeros((hot.vocabulary_size(),))
        words = tv.get_vocabulary()[2:]
        specials = ["[CLS]", "[SEP]"] + [w for w in words if w != "the"]
        tv.set_vocabulary(specials)
        reset = np.zeros((tv.vocabulary_size(),))
        look = layers.StringLookup()
        look.adapt(["a", "b", "a", "c"])
        ids = np.zeros((look.vocabulary_size(),))
        masked = layers.StringLookup(mask_token="", max_tokens=3)
        masked.adapt([["x", "y"], ["z", "x"]])
        mids = np.zeros((masked.vocabulary_size(),))
        """,
        ["head", "capped", "chars", "multi", "reset", "ids", "mids"],
    )


def test_feature_space_concatenates_to_a_batch_of_float32_rows() -> None:
    """keras.utils.FeatureSpace in concat mode: a batch of columns gives (batch, width), the
    encoded features (None, width), both float32; the width comes from adapt() and is not
    claimed, but the model built on top of it is known."""
    assert_agrees(
        """
        import tensorflow as tf
        from keras.utils import FeatureSpace
        n = 64
        data = {
            "a": np.random.rand(n).astype("float32"),
            "c": np.random.choice(["x", "y", "z"], n),
            "i": np.random.randint(0, 4, n),
        }
        fs = FeatureSpace(
            features={
                "a": FeatureSpace.float_normalized(),
                "c": FeatureSpace.string_categorical(num_oov_indices=1),
                "i": FeatureSpace.integer_categorical(num_oov_indices=1),
            },
            crosses=[FeatureSpace.cross(("c", "i"), crossing_dim=8)],
            output_mode="concat",
        )
        fs.adapt(tf.data.Dataset.from_tensor_slices(data).batch(16))
        batch = fs({k: v[:5] for k, v in data.items()})
        one = fs({k: v[0] for k, v in data.items()})
        encoded = fs.get_encoded_features()
        h = layers.Dense(8, activation="relu")(encoded)
        out = layers.Dense(1)(h)
        model = keras.Model(encoded, out)
        """,
        ["batch", "one", "encoded", "h", "out"],
        require_exact=False,
    )
    values = run_engine(
        """
        from keras.utils import FeatureSpace
        fs = FeatureSpace(features={"a": FeatureSpace.float_normalized()})
        batch = fs({"a": np.zeros((5,), "float32")})
        out = layers.Dense(1)(fs.get_encoded_features())
        """
    ).values
    assert values["batch"].shape == (5, None) and values["batch"].dtype == "float32"
    assert values["out"].shape == (None, 1)


@pytest.mark.parametrize(
    "src",
    [
        "n = layers.Normalization()\nn.adapt(np.random.rand(50, 4).astype('float32'))",
        "n = layers.Normalization(axis=-1)\nn.adapt(np.random.rand(10, 5, 3).astype('float32'))",
        "n = layers.Normalization(axis=(1, 2))\nn.adapt(np.random.rand(10, 5, 3).astype('float32'))",
        "n = layers.Normalization(axis=None)\nn.adapt(np.random.rand(10, 4).astype('float32'))",
        "n = layers.Normalization(1)\nn.adapt(np.random.rand(10, 5, 3).astype('float32'))",
        "n = layers.Normalization()\n"
        "n.adapt(tf.data.Dataset.from_tensor_slices(np.random.rand(20, 6).astype('float32')).batch(4))",
        "n = layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 1.0, 1.0])\n"
        "y = n(np.zeros((4, 3), 'float32'))",
        "n = layers.Normalization()\n"
        "n.adapt(tf.data.Dataset.from_tensor_slices(np.random.rand(20, 6).astype('float32')))",
        "n = layers.Normalization()\nn.adapt(tf.data.Dataset.from_tensor_slices("
        "(np.random.rand(20, 5, 6).astype('float32'), np.zeros(20))).batch(4).map(lambda x, y: x))",
        "n = layers.Normalization(dtype='float64')\nn.adapt(np.random.rand(50, 4))",
        "n = layers.Normalization(dtype='mixed_float16')\nn.adapt(np.random.rand(50, 4).astype('float32'))",
    ],
)
def test_normalization_statistics_after_adapt_or_build(src: str) -> None:
    assert_agrees(
        src + "\nmean = n.mean\nvariance = n.variance\nflat = n.mean.numpy().reshape(-1)"
        "\nscaled = (np.ones((7, flat.shape[0]), 'float32') - flat) / np.sqrt(flat + 1)",
        ["mean", "variance", "flat"],
    )
