"""Tiny R(2+1)D network: every 3D conv is factorised into a spatial (1,k,k)
conv followed by a temporal (t,1,1) conv, with the intermediate width chosen
so the parameter count matches the full 3D kernel (Tran et al. style)."""

import tempfile
import os
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

T, H, W, C = 8, 24, 24, 3
N_CLASSES = 5
N = 120
OUT_DIR = os.path.join(tempfile.gettempdir(), "rw143_r2p1d_out")


@keras.saving.register_keras_serializable(package="video")
class Conv2Plus1D(layers.Layer):
    def __init__(self, filters, kernel_size=(3, 3, 3), strides=(1, 1, 1), **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = tuple(kernel_size)
        self.strides = tuple(strides)

    def build(self, input_shape):
        in_ch = input_shape[-1]
        t, k, _ = self.kernel_size
        # M_i = floor(t*d^2*N_{i-1}*N_i / (d^2*N_{i-1} + t*N_i))
        mid = int((t * k * k * in_ch * self.filters) / (k * k * in_ch + t * self.filters))
        self.mid = max(mid, 1)
        self.spatial = layers.Conv3D(self.mid, (1, k, k), strides=(1, *self.strides[1:]),
                                     padding="same", use_bias=False)
        self.bn = layers.BatchNormalization()
        self.temporal = layers.Conv3D(self.filters, (t, 1, 1), strides=(self.strides[0], 1, 1),
                                      padding="same", use_bias=False)
        self.spatial.build(input_shape)
        s_out = self.spatial.compute_output_shape(input_shape)
        self.bn.build(s_out)
        self.temporal.build(s_out)
        super().build(input_shape)

    def call(self, x, training=None):
        x = self.spatial(x)
        x = self.bn(x, training=training)
        x = ops.relu(x)
        return self.temporal(x)

    def compute_output_shape(self, input_shape):
        return self.temporal.compute_output_shape(self.spatial.compute_output_shape(input_shape))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides)
        return cfg


class ResBlock2Plus1D(layers.Layer):
    def __init__(self, filters, downsample=False, **kwargs):
        super().__init__(**kwargs)
        stride = (2, 2, 2) if downsample else (1, 1, 1)
        self.conv_a = Conv2Plus1D(filters, strides=stride)
        self.bn_a = layers.BatchNormalization()
        self.conv_b = Conv2Plus1D(filters)
        self.bn_b = layers.BatchNormalization()
        self.downsample = downsample
        self.filters = filters
        self.proj = None

    def build(self, input_shape):
        if self.downsample or input_shape[-1] != self.filters:
            stride = (2, 2, 2) if self.downsample else (1, 1, 1)
            self.proj = keras.Sequential([
                layers.Conv3D(self.filters, 1, strides=stride, use_bias=False),
                layers.BatchNormalization(),
            ])

    def call(self, x, training=None):
        shortcut = x if self.proj is None else self.proj(x, training=training)
        y = ops.relu(self.bn_a(self.conv_a(x, training=training), training=training))
        y = self.bn_b(self.conv_b(y, training=training), training=training)
        return ops.relu(y + shortcut)


class R2Plus1DNet(keras.Model):
    def __init__(self, num_classes, widths=(12, 24, 48), **kwargs):
        super().__init__(**kwargs)
        self.stem = Conv2Plus1D(widths[0], kernel_size=(3, 5, 5), strides=(1, 2, 2), name="stem")
        self.stem_bn = layers.BatchNormalization()
        self.blocks = [ResBlock2Plus1D(w, downsample=(i > 0), name=f"res{i}")
                       for i, w in enumerate(widths)]
        self.pool = layers.GlobalAveragePooling3D()
        self.drop = layers.Dropout(0.2)
        self.fc = layers.Dense(num_classes)

    def call(self, x, training=None):
        x = ops.relu(self.stem_bn(self.stem(x, training=training), training=training))
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.fc(self.drop(self.pool(x), training=training))


def fake_clips(n, seed=0):
    """Class k = stripes oscillating with temporal frequency k+1."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, n)
    t = np.arange(T)[:, None, None]
    xs = np.arange(W)[None, None, :]
    clips = np.empty((n, T, H, W, C), np.float32)
    for i, k in enumerate(y):
        phase = rng.uniform(0, 2 * np.pi)
        wave = np.sin(0.5 * xs + (k + 1) * 0.7 * t + phase)
        wave = np.broadcast_to(wave, (T, H, W))
        clips[i] = wave[..., None] * rng.uniform(0.5, 1.0, C)
    clips += rng.normal(0, 0.2, clips.shape).astype(np.float32)
    return clips, y


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    x, y = fake_clips(N)

    # quick check on the factorised layer vs a plain Conv3D param count
    probe = Conv2Plus1D(32)
    probe.build((None, T, H, W, 16))
    full = layers.Conv3D(32, 3, use_bias=False)
    full.build((None, T, H, W, 16))
    print(f"(2+1)D params: {probe.count_params()} (mid={probe.mid}) vs full 3D: {full.count_params()}")

    net = R2Plus1DNet(N_CLASSES)
    net.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.9, nesterov=True),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    net(x[:2])  # build
    print("total params:", net.count_params())
    net.fit(x, y, batch_size=12, epochs=2, validation_split=0.15, verbose=2)

    weights_path = os.path.join(OUT_DIR, "r2p1d.weights.h5")
    net.save_weights(weights_path)
    clone = R2Plus1DNet(N_CLASSES)
    clone(x[:2])
    clone.load_weights(weights_path)
    diff = np.abs(net.predict(x[:6], verbose=0) - clone.predict(x[:6], verbose=0)).max()
    print(f"reloaded weights, max logit diff = {diff:.2e}")
