#!/usr/bin/env python
"""Masked batch normalization for padded sequences.

Keras' BatchNormalization counts padded timesteps in its batch statistics.
This script writes a MaskedBatchNorm layer on top of tf.nn.moments /
tf.nn.batch_normalization that only uses real timesteps (tf.boolean_mask),
checks it against keras BatchNormalization on unpadded data, then trains a
small Conv1D sequence regressor with it.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class Cfg:
    n_seq: int = 240
    min_len: int = 6
    max_len: int = 30
    channels: int = 3
    filters: int = 16
    batch: int = 24
    epochs: int = 2
    momentum: float = 0.9
    eps: float = 1e-3
    seed: int = 42


cfg = Cfg()
np.random.seed(cfg.seed)
tf.keras.utils.set_random_seed(cfg.seed)


class MaskedBatchNorm(keras.layers.Layer):
    def __init__(self, momentum=0.99, epsilon=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.epsilon = epsilon
        self.supports_masking = True

    def build(self, input_shape):
        c = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(c,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(c,), initializer="zeros")
        self.moving_mean = self.add_weight(
            name="moving_mean", shape=(c,), initializer="zeros", trainable=False)
        self.moving_var = self.add_weight(
            name="moving_variance", shape=(c,), initializer="ones", trainable=False)

    def call(self, x, mask=None, training=False):
        if training:
            if mask is None:
                valid = tf.reshape(x, [-1, x.shape[-1]])
            else:
                valid = tf.boolean_mask(x, mask)          # (n_valid, C)
            mean, var = tf.nn.moments(valid, axes=[0])
            self.moving_mean.assign(
                self.momentum * self.moving_mean + (1.0 - self.momentum) * mean)
            self.moving_var.assign(
                self.momentum * self.moving_var + (1.0 - self.momentum) * var)
        else:
            mean, var = self.moving_mean, self.moving_var
        y = tf.nn.batch_normalization(
            x, mean, var, offset=self.beta, scale=self.gamma,
            variance_epsilon=self.epsilon)
        if mask is not None:
            y = y * tf.cast(mask, y.dtype)[..., None]     # keep pads at exactly 0
        return y


# ---------------------------------------------------------------- sanity check
x_check = np.random.normal(3.0, 2.0, size=(16, 10, cfg.channels)).astype("float32")
mine = MaskedBatchNorm(momentum=cfg.momentum, epsilon=cfg.eps)
ref = keras.layers.BatchNormalization(momentum=cfg.momentum, epsilon=cfg.eps)
out_mine = mine(x_check, training=True)
out_ref = ref(x_check, training=True)
diff = float(tf.reduce_max(tf.abs(out_mine - out_ref)))
print(f"max |mine - keras BN| (training, no mask): {diff:.2e}")
print("moving mean mine/ref:", np.round(mine.moving_mean.numpy(), 4), np.round(ref.moving_mean.numpy(), 4))

# with padding: keras BN statistics drift towards 0, masked ones do not
lengths_check = np.random.randint(3, 10, size=16)
pad_mask = tf.sequence_mask(lengths_check, 10)
x_padded = tf.where(pad_mask[..., None], x_check, 0.0)
m_mean, _ = tf.nn.moments(tf.boolean_mask(x_padded, pad_mask), axes=[0])
naive_mean, _ = tf.nn.moments(x_padded, axes=[0, 1])
print("masked mean:", np.round(m_mean.numpy(), 3), "| naive mean incl. pads:", np.round(naive_mean.numpy(), 3))


# ---------------------------------------------------------------- data
def make_series(n):
    out = []
    for _ in range(n):
        L = np.random.randint(cfg.min_len, cfg.max_len + 1)
        t = np.linspace(0, 1, L)
        freq = np.random.uniform(1, 4)
        base = np.stack([np.sin(2 * np.pi * freq * t),
                         np.cos(2 * np.pi * freq * t),
                         t], axis=1)
        noisy = 5.0 + 3.0 * base + np.random.normal(0, 0.2, base.shape)   # big offset on purpose
        out.append((noisy.astype("float32"), np.float32(freq)))
    return out


series = make_series(cfg.n_seq)


def gen():
    for s, f in series:
        yield s, f


ds = tf.data.Dataset.from_generator(
    gen,
    output_signature=(
        tf.TensorSpec([None, cfg.channels], tf.float32),
        tf.TensorSpec([], tf.float32),
    ),
)


def add_length(seq, target):
    return (seq, tf.shape(seq)[0]), target


def to_inputs(batch, target):
    seq, length = batch
    mask = tf.sequence_mask(length, tf.shape(seq)[1])
    return {"seq": seq, "mask": mask}, target


ds = ds.map(add_length)
n_val = 48
val_ds = ds.take(n_val).padded_batch(cfg.batch).map(to_inputs)
train_ds = (ds.skip(n_val).cache().shuffle(200)
            .padded_batch(cfg.batch, padded_shapes=(([cfg.max_len, cfg.channels], []), []))
            .map(to_inputs).prefetch(2))


# ---------------------------------------------------------------- model
class MaskedConvBlock(keras.layers.Layer):
    def __init__(self, filters, kernel=3, **kw):
        super().__init__(**kw)
        self.conv = keras.layers.Conv1D(filters, kernel, padding="same", use_bias=False)
        self.bn = MaskedBatchNorm(momentum=cfg.momentum, epsilon=cfg.eps)
        self.act = keras.layers.Activation("gelu")
        self.supports_masking = True

    def call(self, x, mask, training=False):
        x = x * tf.cast(mask, x.dtype)[..., None]
        return self.act(self.bn(self.conv(x), mask=mask, training=training))


class FreqRegressor(keras.Model):
    def __init__(self, filters, n_blocks=2):
        super().__init__()
        self.input_bn = MaskedBatchNorm(momentum=cfg.momentum, epsilon=cfg.eps, name="input_bn")
        self.blocks = [MaskedConvBlock(filters * (2 ** i), name=f"block{i}") for i in range(n_blocks)]
        self.out = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        x, mask = inputs["seq"], inputs["mask"]
        x = self.input_bn(x, mask=mask, training=training)
        for blk in self.blocks:
            x = blk(x, mask, training=training)
        m = tf.cast(mask, x.dtype)[..., None]
        pooled = tf.reduce_sum(x * m, 1) / tf.reduce_sum(m, 1)
        return tf.squeeze(self.out(pooled), -1)


model = FreqRegressor(cfg.filters)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
hist = model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)

print("input_bn moving mean:", np.round(model.input_bn.moving_mean.numpy(), 2),
      "(data mean ~", np.round(np.concatenate([s for s, _ in series]).mean(0), 2), ")")
vx, vy = next(iter(val_ds))
preds = model(vx, training=False).numpy()
for p, t in list(zip(preds, vy.numpy()))[:5]:
    print(f"freq true={t:.2f} pred={p:.2f}")
