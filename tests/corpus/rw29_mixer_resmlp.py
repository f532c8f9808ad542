#!/usr/bin/env python
"""MLP-Mixer vs ResMLP at matched width/depth.

Reproduces the small-scale table from our notes: for each (width, depth) in
the grid we build both families, report params, and train a couple of steps
with mixup to make sure nothing is broken.
"""
import argparse
import itertools
from functools import partial

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

BACKBONES = {}


def register(name):
    def _reg(fn):
        BACKBONES[name] = fn
        return fn
    return _reg


@keras.saving.register_keras_serializable(package="mlp")
class Affine(layers.Layer):
    """ResMLP's Aff(x) = alpha * x + beta, replaces LayerNorm."""

    def __init__(self, init_alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init_alpha = init_alpha

    def build(self, input_shape):
        d = input_shape[-1]
        self.alpha = self.add_weight(name="alpha", shape=(d,),
                                     initializer=keras.initializers.Constant(self.init_alpha))
        self.beta = self.add_weight(name="beta", shape=(d,), initializer="zeros")

    def call(self, x):
        return x * self.alpha + self.beta

    def get_config(self):
        return {**super().get_config(), "init_alpha": self.init_alpha}


@keras.saving.register_keras_serializable(package="mlp")
class LayerScale(layers.Layer):
    def __init__(self, init_value=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.init_value = init_value

    def build(self, input_shape):
        self.gamma = self.add_weight(name="gamma", shape=(input_shape[-1],),
                                     initializer=keras.initializers.Constant(self.init_value))

    def call(self, x):
        return x * self.gamma

    def get_config(self):
        cfg = super().get_config()
        cfg["init_value"] = self.init_value
        return cfg


@keras.saving.register_keras_serializable(package="mlp")
class TokenMix(layers.Layer):
    """Apply an MLP (or linear) across the token axis."""

    def __init__(self, hidden=None, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden

    def build(self, input_shape):
        n_tokens = input_shape[1]
        if self.hidden:
            self.fc1 = layers.Dense(self.hidden, activation="gelu")
            self.fc1.build((None, input_shape[2], n_tokens))
            self.fc2 = layers.Dense(n_tokens)
            self.fc2.build((None, input_shape[2], self.hidden))
        else:
            self.fc1 = None
            self.fc2 = layers.Dense(n_tokens)
            self.fc2.build((None, input_shape[2], n_tokens))

    def call(self, x):
        h = ops.transpose(x, (0, 2, 1))
        if self.fc1 is not None:
            h = self.fc1(h)
        h = self.fc2(h)
        return ops.transpose(h, (0, 2, 1))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden}


def channel_mlp(dim, ratio, name):
    return keras.Sequential([layers.Dense(dim * ratio, activation="gelu"), layers.Dense(dim)],
                            name=name)


def patchify(x, patch, dim):
    x = layers.Conv2D(dim, patch, strides=patch, name="stem")(x)
    return layers.Reshape((-1, dim), name="to_tokens")(x)


@register("mixer")
def mixer(inputs, width, depth, patch=4, token_ratio=0.5, channel_ratio=4):
    x = patchify(inputs, patch, width)
    n_tokens = x.shape[1]
    for i in range(depth):
        h = layers.LayerNormalization(epsilon=1e-6, name=f"mix{i}_ln1")(x)
        x = x + TokenMix(int(n_tokens * token_ratio), name=f"mix{i}_token")(h)
        h = layers.LayerNormalization(epsilon=1e-6, name=f"mix{i}_ln2")(x)
        x = x + channel_mlp(width, channel_ratio, f"mix{i}_channel")(h)
    return layers.LayerNormalization(epsilon=1e-6, name="pre_head_ln")(x)


@register("resmlp")
def resmlp(inputs, width, depth, patch=4, channel_ratio=4):
    x = patchify(inputs, patch, width)
    ls = 0.1 if depth <= 18 else 1e-5
    for i in range(depth):
        h = Affine(name=f"res{i}_aff1")(x)
        x = x + LayerScale(ls, name=f"res{i}_ls1")(TokenMix(None, name=f"res{i}_token")(h))
        h = Affine(name=f"res{i}_aff2")(x)
        x = x + LayerScale(ls, name=f"res{i}_ls2")(channel_mlp(width, channel_ratio, f"res{i}_channel")(h))
    return Affine(name="pre_head_aff")(x)


class MixupClassifier(keras.Model):
    def __init__(self, backbone_fn, image_size=32, num_classes=10, alpha=0.2, **kwargs):
        inputs = keras.Input((image_size, image_size, 3))
        feats = backbone_fn(inputs)
        pooled = layers.GlobalAveragePooling1D()(feats)
        logits = layers.Dense(num_classes, name="head")(pooled)
        super().__init__(inputs, logits, **kwargs)
        self.num_classes = num_classes
        self.alpha = alpha
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.CategoricalAccuracy(name="acc")
        self.ce = keras.losses.CategoricalCrossentropy(from_logits=True)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def _mixup(self, x, y):
        y = tf.one_hot(y, self.num_classes)
        g1 = tf.random.gamma([], self.alpha)
        g2 = tf.random.gamma([], self.alpha)
        lam = g1 / (g1 + g2)
        idx = tf.random.shuffle(tf.range(tf.shape(x)[0]))
        x = lam * x + (1 - lam) * tf.gather(x, idx)
        y = lam * y + (1 - lam) * tf.gather(y, idx)
        return x, y

    def train_step(self, data):
        x, y = data
        x, y_soft = self._mixup(x, y)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.ce(y_soft, logits)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(y_soft, logits)
        return {m.name: m.result() for m in self.metrics}


def parse():
    ap = argparse.ArgumentParser()
    ap.add_argument("--widths", type=int, nargs="+", default=[32, 64])
    ap.add_argument("--depths", type=int, nargs="+", default=[2, 3])
    ap.add_argument("--patch", type=int, default=8)
    ap.add_argument("--train_on", default="32x2")
    ap.add_argument("--batch_size", type=int, default=8)
    ap.add_argument("--base_lr", type=float, default=1e-3)
    return ap.parse_args([])


def get_data(n=32, size=32, num_classes=10):
    x = tf.random.normal((n, size, size, 3), seed=0)
    y = tf.random.uniform((n,), maxval=num_classes, dtype=tf.int32, seed=1)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(8, drop_remainder=True)


def main():
    args = parse()
    ds = get_data()
    train_w, train_d = map(int, args.train_on.split("x"))
    rows = []
    for family, width, depth in itertools.product(sorted(BACKBONES), args.widths, args.depths):
        fn = partial(BACKBONES[family], width=width, depth=depth, patch=args.patch)
        model = MixupClassifier(fn, name=f"{family}_w{width}_d{depth}")
        loss = float("nan")
        if (width, depth) == (train_w, train_d):
            sched = keras.optimizers.schedules.CosineDecay(
                0.0, decay_steps=10, warmup_target=args.base_lr, warmup_steps=2)
            model.compile(optimizer=keras.optimizers.AdamW(sched, weight_decay=0.05))
            loss = model.fit(ds, epochs=1, steps_per_epoch=2, verbose=0).history["loss"][-1]
        rows.append((model.name, model.count_params(), loss))

    print(f"{'model':20s} {'params':>8s} {'loss':>7s}")
    for name, n, loss in rows:
        print(f"{name:20s} {n:8d} {loss:7.3f}")

    aff = Affine.from_config(Affine(0.5, name="aff_copy").get_config())
    print("affine out mean:", float(ops.mean(aff(ops.ones((2, 4, 8))))))


if __name__ == "__main__":
    main()
