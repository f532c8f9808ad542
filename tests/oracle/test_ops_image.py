"""Differential tests of the image op rules (``tf.image.*``, ``tf.nn.depth_to_space`` /
``space_to_depth``) against real TensorFlow: generated images of odd sizes, batched and not,
several dtypes; invalid arguments must be reported wherever TF raises."""

from __future__ import annotations

import random

import pytest

from oracle.harness import assert_agrees
from oracle.op_cases import agree, cases

SAME = [
    "tf.image.flip_left_right(x)", "tf.image.flip_up_down(x)", "tf.image.random_flip_left_right(x)",
    "tf.image.random_flip_up_down(x)", "tf.image.adjust_brightness(x, 0.1)",
    "tf.image.adjust_contrast(x, 1.5)", "tf.image.random_brightness(x, 0.2)",
    "tf.image.random_contrast(x, 0.5, 1.5)", "tf.image.rgb_to_hsv(x)", "tf.image.rgb_to_yuv(x)",
    "tf.image.yuv_to_rgb(x)", "tf.image.random_saturation(x, 0.5, 1.5)",
    "tf.image.random_hue(x, 0.1)", "tf.image.adjust_saturation(x, 2.0)",
]


def image(rng: random.Random, batched: bool | None = None, channels: int = 3, dtype: str = "float32") -> str:
    h, w = rng.randint(1, 9), rng.randint(1, 9)
    shape = (h, w, channels)
    if batched if batched is not None else rng.random() < 0.5:
        shape = (rng.randint(1, 3), *shape)
    return f"x = tf.zeros({shape!r}, dtype=tf.{dtype})\n"


def gen_same(rng: random.Random, i: int) -> tuple[str, list[str]]:
    return image(rng) + f"y = {SAME[i % len(SAME)]}\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(701, 28, gen_same))
def test_colour_and_flip_ops_keep_shape_and_dtype(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_crop_pad(rng: random.Random, i: int) -> tuple[str, list[str]]:
    x = image(rng)
    th, tw = rng.randint(1, 12), rng.randint(1, 12)
    which = i % 4
    if which == 0:
        call = f"tf.image.resize_with_crop_or_pad(x, {th}, {tw})"
    elif which == 1:
        call = f"tf.image.crop_to_bounding_box(x, {rng.randint(0, 3)}, {rng.randint(0, 3)}, {th}, {tw})"
    elif which == 2:
        call = f"tf.image.pad_to_bounding_box(x, {rng.randint(0, 3)}, {rng.randint(0, 3)}, {th}, {tw})"
    else:
        call = f"tf.image.resize_with_pad(x, {th}, {tw})"
    return x + f"y = {call}\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(702, 40, gen_crop_pad))
def test_crop_and_pad_set_height_and_width(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_central_and_random_crop(rng: random.Random, i: int) -> tuple[str, list[str]]:
    x = image(rng, batched=i % 3 == 0)
    if i % 2 == 0:
        frac = rng.choice([0.1, 0.25, 0.33, 0.5, 0.8, 0.875, 1.0])
        return x + f"y = tf.image.central_crop(x, {frac})\n", ["y"]
    size = "[" + ", ".join(str(rng.randint(1, 10)) for _ in range(3 if i % 3 else 4)) + "]"
    return x + f"y = tf.image.random_crop(x, {size})\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(703, 24, gen_central_and_random_crop))
def test_central_and_random_crop(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_channels_and_rotations(rng: random.Random, i: int) -> tuple[str, list[str]]:
    which = i % 5
    if which == 0:
        return image(rng, channels=3) + "y = tf.image.rgb_to_grayscale(x)\n", ["y"]
    if which == 1:
        return image(rng, channels=rng.choice([1, 1, 3])) + "y = tf.image.grayscale_to_rgb(x)\n", ["y"]
    if which == 2:
        return image(rng) + f"y = tf.image.rot90(x, k={rng.randint(0, 4)})\n", ["y"]
    if which == 3:
        return image(rng) + "y = tf.image.transpose(x)\n", ["y"]
    dtype = rng.choice(["uint8", "int32", "float32", "float64"])
    return image(rng, dtype=dtype) + "y = tf.image.per_image_standardization(x)\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(704, 30, gen_channels_and_rotations))
def test_channel_changes_rotations_and_standardization(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_convert_dtype(rng: random.Random, i: int) -> tuple[str, list[str]]:
    src, dst = rng.choice(["uint8", "float32", "int32"]), rng.choice(["float32", "uint8", "float16"])
    return image(rng, dtype=src) + f"y = tf.image.convert_image_dtype(x, tf.{dst})\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(705, 8, gen_convert_dtype))
def test_convert_image_dtype(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_patches(rng: random.Random, i: int) -> tuple[str, list[str]]:
    n, h, w, c = rng.randint(1, 2), rng.randint(1, 12), rng.randint(1, 12), rng.randint(1, 4)
    k = [rng.randint(1, 4), rng.randint(1, 4)]
    s = [rng.randint(1, 4), rng.randint(1, 4)]
    r = [rng.choice([1, 1, 2]), rng.choice([1, 1, 2])]
    pad = rng.choice(["VALID", "SAME"])
    return (
        f"x = tf.zeros(({n}, {h}, {w}, {c}))\n"
        f"y = tf.image.extract_patches(x, sizes=[1, {k[0]}, {k[1]}, 1], strides=[1, {s[0]}, {s[1]}, 1], "
        f"rates=[1, {r[0]}, {r[1]}, 1], padding='{pad}')\n",
        ["y"],
    )


@pytest.mark.parametrize(("src", "names"), cases(706, 30, gen_patches))
def test_extract_patches(src: str, names: list[str]) -> None:
    agree(src, names)


def gen_pixel_shuffle(rng: random.Random, i: int) -> tuple[str, list[str]]:
    b = rng.choice([2, 2, 3, 4])
    n, h, w = rng.randint(1, 2), rng.randint(1, 8), rng.randint(1, 8)
    if i % 2 == 0:
        c = rng.choice([b * b, 2 * b * b, 3 * b * b, b * b + 1, 6])
        return f"x = tf.zeros(({n}, {h}, {w}, {c}))\ny = tf.nn.depth_to_space(x, {b})\n", ["y"]
    if rng.random() < 0.7:
        h, w = h * b, w * b
    c = rng.randint(1, 4)
    return f"x = tf.zeros(({n}, {h}, {w}, {c}))\ny = tf.nn.space_to_depth(x, {b})\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(707, 30, gen_pixel_shuffle))
def test_depth_to_space_and_space_to_depth(src: str, names: list[str]) -> None:
    agree(src, names)


def test_sobel_edges_adds_an_axis_of_two_gradients() -> None:
    agree("x = tf.random.uniform((2, 9, 7, 3))\ny = tf.image.sobel_edges(x)\n", ["y"])
    agree("x = tf.zeros((1, 8, 8, 1), tf.float64)\ny = tf.image.sobel_edges(x)\n", ["y"])


def test_decoders_give_rank_3_images() -> None:
    src = (
        "raw = tf.io.encode_jpeg(tf.zeros((5, 7, 3), tf.uint8))\n"
        "a = tf.image.decode_jpeg(raw, channels=3)\n"
        "png = tf.io.encode_png(tf.zeros((5, 7, 1), tf.uint8))\n"
        "b = tf.io.decode_png(png, channels=1)\n"
        "c = tf.image.decode_png(png, dtype=tf.uint16)\n"
    )
    agree(src, ["a", "b", "c"], exact=False)


def test_image_ops_inside_a_dataset_map() -> None:
    src = (
        "ds = tf.data.Dataset.from_tensor_slices(np.zeros((6, 20, 24, 3), np.uint8))\n"
        "def prep(img):\n"
        "    img = tf.image.convert_image_dtype(img, tf.float32)\n"
        "    img = tf.image.random_flip_left_right(img)\n"
        "    img = tf.image.resize_with_crop_or_pad(img, 16, 16)\n"
        "    return tf.image.rgb_to_grayscale(img)\n"
        "ds = ds.map(prep).batch(3)\n"
        "for batch in ds.take(1):\n"
        "    pass\n"
        "spec = ds.element_spec\n"
        "first = batch\n"
    )
    agree(src, ["first"])


def test_crop_and_resize_gives_one_crop_per_box() -> None:
    assert_agrees(
        """
        feature = tf.zeros((2, 32, 32, 64))
        boxes = tf.random.uniform((2, 3, 4))
        flat = tf.reshape(boxes, [-1, 4])
        idx = tf.repeat(tf.range(2), 3)
        crops = tf.image.crop_and_resize(feature, flat, idx, [14, 14])
        ints = tf.image.crop_and_resize(tf.zeros((1, 8, 8, 3), tf.int32), tf.zeros((5, 4)), tf.zeros((5,), tf.int32), (4, 6))
        """,
        ["crops", "ints"],
    )


def gen_keras_crop_pad(rng: random.Random, i: int) -> tuple[str, list[str]]:
    batched = i % 2 == 0
    h, w, c = rng.randint(8, 16), rng.randint(8, 16), rng.choice([1, 3])
    shape = (2, h, w, c) if batched else (h, w, c)
    src = f"x = np.zeros({shape}, 'float32')\n"
    fn = "crop_images" if i % 4 < 2 else "pad_images"
    word = "cropping" if fn == "crop_images" else "padding"
    a, b = rng.randint(0, 3), rng.randint(0, 3)
    # exactly two of (near side, far side, target) per axis, as Keras requires
    if i % 3 == 0:
        args = f"top_{word}={a}, bottom_{word}={b}, left_{word}={b}, right_{word}={a}"
    elif i % 3 == 1:
        th = h - a - 1 if fn == "crop_images" else h + a + 1
        tw = w - b - 1 if fn == "crop_images" else w + b + 1
        args = f"top_{word}={a}, left_{word}={b}, target_height={th}, target_width={tw}"
    else:
        th = h - a - 1 if fn == "crop_images" else h + a + 1
        args = f"bottom_{word}={a}, target_height={th}, left_{word}={b}, right_{word}={a}"
    return src + f"y = keras.ops.image.{fn}(x, {args})\n", ["y"]


@pytest.mark.parametrize(("src", "names"), cases(711, 24, gen_keras_crop_pad))
def test_keras_crop_and_pad_images(src: str, names: list[str]) -> None:
    agree(src, names)
