# Squeeze-and-Excitation: compare a plain depthwise-separable CNN against the
# same network with SE blocks, on a toy "which colour channel dominates" task.
import math
import time

import numpy as np
import keras
from keras import layers, ops

CFG = {
    "image_size": 24,
    "channels": 3,
    "num_classes": 3,
    "samples": 300,
    "batch_size": 25,
    "epochs": 2,
    "filters": [16, 32, 48],
    "se_ratio": 0.25,
    "lr": 3e-3,
}

rng = np.random.default_rng(1234)
keras.utils.set_random_seed(1234)


@keras.saving.register_keras_serializable(package="rw131")
class SqueezeExcite(layers.Layer):
    """Channel attention: global pool -> bottleneck MLP -> sigmoid gate."""

    def __init__(self, se_ratio=0.25, min_units=4, **kwargs):
        super().__init__(**kwargs)
        self.se_ratio = se_ratio
        self.min_units = min_units

    def build(self, input_shape):
        channels = input_shape[-1]
        squeezed = max(self.min_units, int(channels * self.se_ratio))
        self.pool = layers.GlobalAveragePooling2D(keepdims=True)
        self.reduce = layers.Conv2D(squeezed, 1, activation="swish", name="se_reduce")
        self.expand = layers.Conv2D(channels, 1, activation="sigmoid", name="se_expand")
        self.reduce.build((None, 1, 1, channels))
        self.expand.build((None, 1, 1, squeezed))
        super().build(input_shape)

    def call(self, inputs):
        s = self.pool(inputs)
        s = self.reduce(s)
        s = self.expand(s)
        return inputs * s

    def get_config(self):
        config = super().get_config()
        config.update({"se_ratio": self.se_ratio, "min_units": self.min_units})
        return config


class SeparableBlock(layers.Layer):
    def __init__(self, filters, stride=1, use_se=True, se_ratio=0.25, **kwargs):
        super().__init__(**kwargs)
        self.dw = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)
        self.bn1 = layers.BatchNormalization()
        self.pw = layers.Conv2D(filters, 1, use_bias=False)
        self.bn2 = layers.BatchNormalization()
        self.se = SqueezeExcite(se_ratio) if use_se else None

    def call(self, x, training=None):
        x = self.dw(x)
        x = ops.relu(self.bn1(x, training=training))
        x = self.pw(x)
        x = ops.relu(self.bn2(x, training=training))
        if self.se is not None:
            x = self.se(x)
        return x


class TinySENet(keras.Model):
    def __init__(self, filters, num_classes, use_se=True, se_ratio=0.25, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Conv2D(filters[0], 3, padding="same", activation="relu")
        self.blocks = [
            SeparableBlock(f, stride=2 if i > 0 else 1, use_se=use_se, se_ratio=se_ratio,
                           name=f"sep_block_{i}")
            for i, f in enumerate(filters)
        ]
        self.pool = layers.GlobalAveragePooling2D()
        self.head = layers.Dense(num_classes)

    def call(self, x, training=None):
        x = self.stem(x)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(self.pool(x))


def make_data(cfg):
    n, s, c = cfg["samples"], cfg["image_size"], cfg["channels"]
    x = rng.uniform(0.0, 0.5, size=(n, s, s, c)).astype("float32")
    y = rng.integers(0, cfg["num_classes"], size=n)
    # boost the labelled channel in a random patch so that a channel gate is useful
    for i in range(n):
        r, q = rng.integers(0, s - 8, size=2)
        x[i, r:r + 8, q:q + 8, y[i]] += 0.6
    return x, y


def run_experiment(name, use_se, x, y):
    model = TinySENet(CFG["filters"], CFG["num_classes"], use_se=use_se,
                      se_ratio=CFG["se_ratio"], name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(CFG["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model(x[:1])  # run once so that every sub-layer creates its weights
    split = int(0.8 * len(x))
    t0 = time.perf_counter()
    hist = model.fit(x[:split], y[:split], validation_data=(x[split:], y[split:]),
                     batch_size=CFG["batch_size"], epochs=CFG["epochs"], verbose=0)
    elapsed = time.perf_counter() - t0
    return {
        "name": name,
        "params": model.count_params(),
        "val_acc": hist.history["val_acc"][-1],
        "seconds": elapsed,
    }


if __name__ == "__main__":
    x, y = make_data(CFG)
    print("data:", x.shape, np.bincount(y))

    # quick sanity check of the gate on its own
    se = SqueezeExcite(0.5)
    probe = ops.convert_to_tensor(x[:2])
    gated = se(probe)
    print("SE output shape:", tuple(gated.shape), "| ratio out/in mean:",
          float(ops.mean(gated) / ops.mean(probe)))

    results = [run_experiment(f"senet_{'se' if flag else 'plain'}", flag, x, y)
               for flag in (False, True)]
    for r in results:
        print(f"{r['name']:<14s} params={r['params']:>6d} val_acc={r['val_acc']:.3f} "
              f"time={r['seconds']:.1f}s")
    overhead = results[1]["params"] / results[0]["params"] - 1.0
    print(f"SE parameter overhead: {100 * overhead:.1f}%  (log2 ratio {math.log2(1 + overhead):.3f})")

    # round-trip the custom layer config
    cfg = se.get_config()
    clone = SqueezeExcite.from_config(cfg)
    print("restored SE config:", {k: cfg[k] for k in ("se_ratio", "min_units")}, clone.name)
