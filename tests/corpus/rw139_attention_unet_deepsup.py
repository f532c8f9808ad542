#!/usr/bin/env python
"""
Attention U-Net with deep supervision on an odd-sized input (45x45).

MaxPooling2D(padding="same") rounds up (45 -> 23 -> 12 -> 6), so after
2x upsampling the decoder tensor is sometimes one pixel *bigger* than the
skip connection (12 -> 24 vs 23). Here we Cropping2D the upsampled tensor
down to the skip size before the attention gate.

Auxiliary sigmoid outputs at 1/2 and 1/4 resolution get their own
(nearest-resized) targets built inside a tf.data map.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

SIZE = 45
FILTERS = [8, 16, 32]
BOTTLENECK = 48
N = 160
BATCH = 16
LOSS_WEIGHTS = {"mask": 1.0, "aux_1": 0.4, "aux_2": 0.2}

np.random.seed(21)
tf.random.set_seed(21)


def make_vessels(n, size):
    """Curvy 'vessel' lines drawn as thick sinusoids; hard to segment by intensity alone."""
    xs = np.arange(size)
    out_x = np.empty((n, size, size, 1), np.float32)
    out_y = np.empty((n, size, size, 1), np.float32)
    rows = np.arange(size)[:, None]
    for i in range(n):
        m = np.zeros((size, size), bool)
        for _ in range(np.random.randint(1, 4)):
            amp, freq, phase = np.random.uniform(3, 10), np.random.uniform(0.05, 0.2), np.random.uniform(0, 6.3)
            offset = np.random.uniform(8, size - 8)
            thick = np.random.uniform(1.0, 2.5)
            centre = offset + amp * np.sin(freq * xs + phase)
            band = np.abs(rows - centre[None, :]) < thick
            m |= band.T if np.random.rand() < 0.5 else band
        noise = np.random.normal(0, 0.3, (size, size))
        out_x[i, ..., 0] = 0.8 * m + noise + np.linspace(0, 0.5, size)[None, :]  # plus an illumination gradient
        out_y[i, ..., 0] = m
    return out_x, out_y


class AttentionGate(layers.Layer):
    """Additive attention gate (Oktay et al.) -- gating and skip must share H, W."""

    def __init__(self, inter_channels, **kwargs):
        super().__init__(**kwargs)
        self.inter_channels = inter_channels
        self.theta_x = layers.Conv2D(inter_channels, 1, use_bias=False)
        self.phi_g = layers.Conv2D(inter_channels, 1)
        self.psi = layers.Conv2D(1, 1, activation="sigmoid")

    def build(self, skip_shape, gating_shape):
        self.theta_x.build(skip_shape)
        self.phi_g.build(gating_shape)
        self.psi.build(tuple(skip_shape[:-1]) + (self.inter_channels,))

    def call(self, skip, gating):
        f = tf.nn.relu(self.theta_x(skip) + self.phi_g(gating))
        alpha = self.psi(f)
        return skip * alpha

    def get_config(self):
        cfg = super().get_config()
        cfg.update(inter_channels=self.inter_channels)
        return cfg


def conv_unit(x, f, tag):
    x = layers.Conv2D(f, 3, padding="same", kernel_initializer="he_normal", name=f"{tag}_a")(x)
    x = layers.BatchNormalization(name=f"{tag}_bn_a")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(f, 3, padding="same", kernel_initializer="he_normal", name=f"{tag}_b")(x)
    x = layers.BatchNormalization(name=f"{tag}_bn_b")(x)
    return layers.Activation("relu")(x)


def crop_to(x, ref, tag):
    extra_h = x.shape[1] - ref.shape[1]
    extra_w = x.shape[2] - ref.shape[2]
    if (extra_h, extra_w) == (0, 0):
        return x
    # asymmetric: drop the extra row/col from the bottom/right, where ceil padding added it
    return layers.Cropping2D(((0, extra_h), (0, extra_w)), name=f"{tag}_crop")(x)


def attention_unet():
    inputs = keras.Input((SIZE, SIZE, 1), name="img")
    x, skips = inputs, []
    for i, f in enumerate(FILTERS):
        x = conv_unit(x, f, f"enc{i}")
        skips.append(x)
        x = layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
    x = conv_unit(x, BOTTLENECK, "bott")

    aux = {}
    for depth, (f, skip) in enumerate(reversed(list(zip(FILTERS, skips)))):
        level = len(FILTERS) - 1 - depth
        up = layers.UpSampling2D(2, name=f"up{level}")(x)
        up = crop_to(up, skip, f"up{level}")
        up = layers.Conv2D(f, 2, padding="same", activation="relu", name=f"up{level}_conv")(up)
        gated = AttentionGate(max(f // 2, 4), name=f"att{level}")(skip, up)
        x = layers.Concatenate(name=f"cat{level}")([gated, up])
        x = conv_unit(x, f, f"dec{level}")
        if level > 0:
            aux[f"aux_{level}"] = layers.Conv2D(1, 1, activation="sigmoid", name=f"aux_{level}")(x)

    main = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, {"mask": main, **aux}, name="attention_unet")


model = attention_unet()
for name, t in model.output.items():
    print(f"  output {name:6s} -> {tuple(t.shape)}")
AUX_SIZES = {name: tuple(t.shape[1:3]) for name, t in model.output.items()}


def add_deep_supervision_targets(image, mask):
    targets = {"mask": mask}
    for name, hw in AUX_SIZES.items():
        if name != "mask":
            targets[name] = tf.image.resize(mask, hw, method="nearest")
    return image, targets


x_all, y_all = make_vessels(N, SIZE)
x_all = (x_all - x_all.mean()) / x_all.std()
cut = int(N * 0.8)


def as_dataset(x, y, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x))
    return ds.map(add_deep_supervision_targets, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH).prefetch(1)


train_ds = as_dataset(x_all[:cut], y_all[:cut], shuffle=True)
val_ds = as_dataset(x_all[cut:], y_all[cut:], shuffle=False)


def dice_coef(y_true, y_pred, eps=1e-6):
    y_true = tf.cast(y_true, y_pred.dtype)
    inter = tf.reduce_sum(y_true * y_pred)
    return (2.0 * inter + eps) / (tf.reduce_sum(y_true) + tf.reduce_sum(y_pred) + eps)


def bce_dice(y_true, y_pred):
    return keras.losses.binary_crossentropy(y_true, y_pred) + (1.0 - dice_coef(y_true, y_pred))


class PrintGateStats(keras.callbacks.Callback):
    """Report the mean attention coefficient of the finest gate after each epoch."""

    def __init__(self, sample):
        super().__init__()
        self.sample = sample

    def on_epoch_end(self, epoch, logs=None):
        gate = self.model.get_layer("att0")
        probe = keras.Model(self.model.input, gate.output)
        gated = probe(self.sample, training=False)
        print(f"    [epoch {epoch + 1}] att0 output mean={float(tf.reduce_mean(gated)):.4f} "
              f"val_mask_dice={logs.get('val_mask_dice_coef', float('nan')):.4f}")


model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss={k: bce_dice for k in LOSS_WEIGHTS},
    loss_weights=LOSS_WEIGHTS,
    metrics={"mask": [dice_coef]},
    jit_compile=False,  # XLA compile of this graph costs more than the whole CPU run
)
history = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=2,
    verbose=2,
    callbacks=[PrintGateStats(x_all[:4]),
               keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5)],
)

# round-trip through the native .keras format (custom layer needs custom_objects)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "att_unet.keras")
    model.save(path)
    reloaded = keras.models.load_model(path, custom_objects={"AttentionGate": AttentionGate,
                                                             "bce_dice": bce_dice,
                                                             "dice_coef": dice_coef})
    a = model.predict(x_all[:2], verbose=0)["mask"]
    b = reloaded.predict(x_all[:2], verbose=0)["mask"]
    print("reload max abs diff:", float(np.abs(a - b).max()))

print("final:", {k: round(v[-1], 4) for k, v in history.history.items() if k.startswith("val_")})
