#!/usr/bin/env python
"""
ConvNeXt-ish network written as subclassed Keras models.

Block: 7x7 depthwise conv -> LayerNorm -> 1x1 expand (4x) -> GELU -> 1x1 project
-> layer scale -> stochastic depth -> residual add.
Stages are separated by LN + 2x2 stride-2 conv downsampling.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class ConvNeXtConfig:
    depths: list = field(default_factory=lambda: [1, 1, 2, 1])
    dims: list = field(default_factory=lambda: [16, 32, 48, 64])
    drop_path_rate: float = 0.1
    layer_scale_init: float = 1e-6
    num_classes: int = 3
    input_size: int = 48


class StochasticDepth(keras.layers.Layer):
    """Drops the whole residual branch per-sample during training."""

    def __init__(self, drop_prob=0.0, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = float(drop_prob)

    def call(self, x, training=None):
        if not training or self.drop_prob == 0.0:
            return x
        keep = 1.0 - self.drop_prob
        shape = (tf.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        mask = tf.floor(keep + tf.random.uniform(shape, dtype=x.dtype))
        return (x / keep) * mask


class LayerScale(keras.layers.Layer):
    def __init__(self, init_value, dim, **kwargs):
        super().__init__(**kwargs)
        self.gamma = self.add_weight(
            shape=(dim,),
            initializer=keras.initializers.Constant(init_value),
            name="gamma",
        )

    def call(self, x):
        return x * self.gamma


class ConvNeXtBlock(keras.layers.Layer):
    def __init__(self, dim, drop_path=0.0, layer_scale_init=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.dwconv = keras.layers.DepthwiseConv2D(7, padding="same")
        self.norm = keras.layers.LayerNormalization(epsilon=1e-6)
        self.pw1 = keras.layers.Dense(4 * dim)
        self.act = keras.layers.Activation("gelu")
        self.pw2 = keras.layers.Dense(dim)
        self.ls = LayerScale(layer_scale_init, dim)
        self.drop = StochasticDepth(drop_path)

    def call(self, x, training=None):
        shortcut = x
        x = self.dwconv(x)
        x = self.norm(x)
        x = self.pw1(x)
        x = self.act(x)
        x = self.pw2(x)
        x = self.ls(x)
        return shortcut + self.drop(x, training=training)


class ConvNeXt(keras.Model):
    def __init__(self, cfg: ConvNeXtConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        # stem: 4x4 patchify conv like the paper (we use stride 2 since images are tiny)
        self.stem = keras.Sequential(
            [
                keras.layers.Conv2D(cfg.dims[0], 2, strides=2),
                keras.layers.LayerNormalization(epsilon=1e-6),
            ],
            name="stem",
        )
        total = sum(cfg.depths)
        rates = np.linspace(0.0, cfg.drop_path_rate, total).tolist()

        self.downsamplers = []
        self.stages = []
        cursor = 0
        for i, (depth, dim) in enumerate(zip(cfg.depths, cfg.dims)):
            if i > 0:
                self.downsamplers.append(
                    keras.Sequential(
                        [
                            keras.layers.LayerNormalization(epsilon=1e-6),
                            keras.layers.Conv2D(dim, 2, strides=2),
                        ],
                        name=f"downsample_{i}",
                    )
                )
            blocks = [
                ConvNeXtBlock(
                    dim,
                    drop_path=rates[cursor + j],
                    layer_scale_init=cfg.layer_scale_init,
                    name=f"stage{i}_block{j}",
                )
                for j in range(depth)
            ]
            cursor += depth
            self.stages.append(blocks)

        self.pool = keras.layers.GlobalAveragePooling2D()
        self.head_norm = keras.layers.LayerNormalization(epsilon=1e-6)
        self.head = keras.layers.Dense(cfg.num_classes)

    def call(self, x, training=None):
        x = self.stem(x)
        for i, blocks in enumerate(self.stages):
            if i > 0:
                x = self.downsamplers[i - 1](x)
            for blk in blocks:
                x = blk(x, training=training)
        x = self.pool(x)
        x = self.head_norm(x)
        return self.head(x)


def shapes_dataset(n, size, seed=0):
    """Circle / square / triangle silhouettes at random positions and scales."""
    r = np.random.RandomState(seed)
    X = np.zeros((n, size, size, 1), np.float32)
    Y = r.randint(0, 3, n)
    yy, xx = np.mgrid[:size, :size]
    for k in range(n):
        s = r.randint(size // 6, size // 3)
        cy, cx = r.randint(s, size - s, size=2)
        if Y[k] == 0:
            m = (yy - cy) ** 2 + (xx - cx) ** 2 < s**2
        elif Y[k] == 1:
            m = (abs(yy - cy) < s) & (abs(xx - cx) < s)
        else:
            m = (yy - cy + s > 0) & (abs(xx - cx) < (yy - cy + s) / 2) & (yy - cy < s)
        X[k, ..., 0] = m.astype(np.float32)
    X += r.normal(0, 0.1, X.shape).astype(np.float32)
    return np.repeat(X, 3, axis=-1), Y


if __name__ == "__main__":
    cfg = ConvNeXtConfig()
    X, Y = shapes_dataset(360, cfg.input_size)
    X_tr, Y_tr, X_te, Y_te = X[:300], Y[:300], X[300:], Y[300:]

    train_ds = (
        tf.data.Dataset.from_tensor_slices((X_tr, Y_tr))
        .shuffle(300)
        .batch(30)
        .map(lambda a, b: (tf.image.random_flip_left_right(a), b))
        .prefetch(2)
    )
    test_ds = tf.data.Dataset.from_tensor_slices((X_te, Y_te)).batch(60)

    model = ConvNeXt(cfg, name="convnext_tiny_tiny")
    _ = model(tf.zeros((1, cfg.input_size, cfg.input_size, 3)))  # create weights
    print("params:", model.count_params())
    for i, blocks in enumerate(model.stages):
        print(f"  stage {i}: {len(blocks)} block(s), drop_path={[round(b.drop.drop_prob, 3) for b in blocks]}")

    sched = keras.optimizers.schedules.CosineDecay(4e-3, decay_steps=20, alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.AdamW(sched, weight_decay=0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)
    print(dict(zip(model.metrics_names, model.evaluate(test_ds, verbose=0))))

    # check that stochastic depth is inactive at inference
    a = model(X_te[:4], training=False).numpy()
    b = model(X_te[:4], training=False).numpy()
    print("deterministic inference:", np.allclose(a, b))
