"""Differential tests of ``tf.nn``'s sliding-window ops (pooling and convolutions) against real
TensorFlow: generated windows, strides, paddings and dilations on 1-D, 2-D and 3-D inputs."""

from __future__ import annotations

import random

import pytest

from oracle.op_cases import agree, cases


def _window_case(rng: random.Random, i: int) -> tuple[str, list[str]]:
    rank = rng.choice([1, 2, 2, 3])
    spatial = [rng.randint(4, 11) for _ in range(rank)]
    channels = rng.randint(1, 4)
    x = f"tf.zeros({(rng.randint(1, 3), *spatial, channels)!r})"
    padding = rng.choice(["SAME", "VALID"])
    conv = rng.random() < 0.5
    kernel = [rng.randint(1, 3) for _ in range(rank)]
    dilation = rng.choice([1, 1, 2]) if conv and rank < 3 else 1  # CPU Conv3D has no dilations
    stride = 1 if dilation > 1 else rng.randint(1, 3)
    k_arg = rng.choice([repr(kernel[0]) if len(set(kernel)) == 1 else repr(kernel), repr(kernel)])
    s_arg = rng.choice([repr(stride), repr([stride] * rank), repr([1, *[stride] * rank, 1])])
    if rank == 3 and conv:  # conv3d takes 5-long lists only
        s_arg = repr([1, *[stride] * rank, 1])
    if not conv:  # tf.nn.pool refuses strides larger than the window
        stride = min(stride, *kernel)
        s_arg = rng.choice([repr(stride), repr([stride] * rank), repr([1, *[stride] * rank, 1])])
    if conv:
        out = rng.randint(1, 5)
        filters = f"tf.zeros({(*kernel, channels, out)!r})"
        name = {1: "conv1d", 2: "conv2d", 3: "conv3d"}[rank]
        if rng.random() < 0.3:
            d = f", dilations={dilation}" if dilation > 1 else ""
            expr = f"tf.nn.convolution(x, {filters}, strides={stride}, padding={padding!r}{d})"
        else:
            d = f", dilations={[1, dilation, dilation, dilation, 1] if rank == 3 else dilation}" if dilation > 1 else ""
            expr = f"tf.nn.{name}(x, {filters}, {s_arg if rank > 1 else stride}, {padding!r}{d})"
    else:
        kind = rng.choice(["max", "avg"])
        style = rng.random()
        if style < 0.4:
            expr = f"tf.nn.{kind}_pool{rank}d(x, {k_arg}, {s_arg}, {padding!r})"
        elif style < 0.7:
            expr = f"tf.nn.{kind}_pool(x, ksize={k_arg}, strides={s_arg}, padding={padding!r})"
        else:
            pt = "MAX" if kind == "max" else "AVG"
            expr = f"tf.nn.pool(x, {kernel!r}, {pt!r}, strides={[stride] * rank!r}, padding={padding!r})"
    return f"x = {x}\ny = {expr}\n", ["x", "y"]


@pytest.mark.parametrize("src,names", cases(401, 60, _window_case))
def test_pooling_and_convolution_windows(src: str, names: list[str]) -> None:
    agree(src, names)


def test_depthwise_and_transposed_convolutions() -> None:
    agree(
        """
        img = tf.zeros((2, 9, 12, 3))
        a = tf.nn.depthwise_conv2d(img, tf.zeros((3, 3, 3, 2)), [1, 2, 2, 1], "SAME")
        b = tf.nn.depthwise_conv2d(img, tf.zeros((3, 1, 3, 1)), [1, 1, 1, 1], "VALID")
        c = tf.nn.conv2d_transpose(tf.zeros((1, 8, 8, 4)), tf.zeros((3, 3, 2, 4)), [1, 16, 16, 2], 2)
        d = tf.nn.conv1d_transpose(tf.zeros((1, 8, 4)), tf.zeros((3, 2, 4)), [1, 16, 2], 2)
        blurred = tf.nn.avg_pool2d(img[:1], ksize=3, strides=1, padding="SAME")[0]
        """,
        ["a", "b", "c", "d", "blurred"],
    )


def test_forms_tf_refuses_claim_nothing() -> None:
    agree(
        """
        x = tf.zeros((2, 8, 7, 6, 2))
        a = tf.nn.conv3d(x, tf.zeros((3, 1, 2, 2, 4)), 2, 'VALID')
        b = tf.nn.conv3d(x, tf.zeros((3, 1, 2, 2, 4)), [1, 1, 1], 'VALID')
        c = tf.nn.pool(tf.zeros((3, 9, 4)), [1], 'MAX', strides=[2], padding='VALID')
        """,
        ["a", "b", "c"],
        exact=False,
        catch=False,
    )
    from oracle.harness import run_engine

    values = run_engine(
        "x = tf.zeros((2, 8, 7, 6, 2))\n"
        "a = tf.nn.conv3d(x, tf.zeros((3, 1, 2, 2, 4)), 2, 'VALID')\n"
        "c = tf.nn.pool(tf.zeros((3, 9, 4)), [1], 'MAX', strides=[2], padding='VALID')\n"
    ).values
    assert all(values[n].shape is None for n in ("a", "c")), values


def test_review_counter_examples() -> None:
    """A window across channels, ``convolution``'s TF2 argument order, a depthwise convolution
    both strided and dilated."""
    agree(
        """
        x = tf.zeros((2, 9, 9, 4))
        f = tf.zeros((3, 3, 4, 5))
        z = tf.nn.max_pool2d(x, ksize=[1, 1, 1, 2], strides=[1, 1, 1, 2], padding="VALID")
        c1 = tf.nn.convolution(x, f, 2, padding="SAME")
        c2 = tf.nn.convolution(x, f, [2, 2], padding="VALID")
        c3 = tf.nn.convolution(x, f, padding="SAME", dilations=2)
        y = tf.nn.depthwise_conv2d(tf.zeros((1, 12, 12, 1)), tf.zeros((2, 2, 1, 1)), strides=[1, 2, 2, 1],
                                   padding="VALID", dilations=[2, 2])
        """,
        ["z", "c1", "c2", "c3", "y"],
        exact=False,
    )


def test_unknown_settings_leave_the_window_unknown() -> None:
    """An explicit padding list or a stride only known at run time: no shape claimed."""
    agree(
        """
        img = tf.zeros((2, 9, 12, 3))
        s = int(np.random.randint(1, 3))
        a = tf.nn.max_pool2d(img, 2, s, "SAME")
        b = tf.nn.conv2d(img, tf.zeros((3, 3, 3, 4)), 1, [[0, 0], [1, 1], [1, 1], [0, 0]])
        """,
        ["a", "b"],
        exact=False,
    )
