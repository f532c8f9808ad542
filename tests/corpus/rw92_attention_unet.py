"""Attention U-Net (Oktay et al. 2018) for multi-organ segmentation of 2-D slices.

Implements additive attention gates as a reusable Keras layer and plugs
them into the skip connections of a U-Net. Output is a softmax over
N_CLASSES (background + organs), trained with a generalised Dice +
categorical cross-entropy loss. Data is synthetic: a few overlapping
shapes each assigned an organ label.
"""
import numpy as np
import keras
from keras import layers, ops

N_CLASSES = 4            # 0 = background, 1 = liver, 2 = kidney, 3 = spleen
INPUT_SHAPE = (64, 64, 1)
FILTERS = (8, 16, 32, 64)
BATCH = 4


@keras.saving.register_keras_serializable(package="rw92")
class AttentionGate(layers.Layer):
    """Additive attention gate.

    x: skip-connection features (high resolution, H x W x Fx)
    g: gating signal from the coarser decoder level (H/2 x W/2 x Fg)
    Returns x scaled by a learned [0, 1] spatial attention map.
    """

    def __init__(self, inter_channels, **kwargs):
        super().__init__(**kwargs)
        self.inter_channels = inter_channels

    def build(self, input_shape):
        x_shape, g_shape = input_shape
        # theta_x downsamples the skip to the gating resolution
        self.theta_x = layers.Conv2D(self.inter_channels, 2, strides=2, padding="same",
                                     use_bias=False, name="theta_x")
        self.phi_g = layers.Conv2D(self.inter_channels, 1, padding="same", name="phi_g")
        self.psi = layers.Conv2D(1, 1, padding="same", name="psi")
        self.upsample = layers.UpSampling2D(size=2, interpolation="bilinear")
        self.theta_x.build(x_shape)
        self.phi_g.build(g_shape)
        self.psi.build((*g_shape[:-1], self.inter_channels))
        super().build(input_shape)

    def call(self, inputs):
        x, g = inputs
        theta = self.theta_x(x)
        phi = self.phi_g(g)
        f = ops.relu(theta + phi)
        alpha = ops.sigmoid(self.psi(f))          # (B, H/2, W/2, 1)
        alpha = self.upsample(alpha)              # (B, H, W, 1)
        return x * alpha                          # broadcast over channels

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"inter_channels": self.inter_channels})
        return cfg


def conv_bn_relu(x, f):
    x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_attention_unet(input_shape=INPUT_SHAPE, n_classes=N_CLASSES, filters=FILTERS):
    inputs = keras.Input(input_shape)
    x = inputs
    skips = []
    for f in filters[:-1]:
        x = conv_bn_relu(conv_bn_relu(x, f), f)
        skips.append(x)
        x = layers.MaxPooling2D()(x)
    x = conv_bn_relu(conv_bn_relu(x, filters[-1]), filters[-1])

    for i, f in reversed(list(enumerate(filters[:-1]))):
        skip = AttentionGate(inter_channels=f // 2, name=f"att_gate_{i}")([skips[i], x])
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same")(x)
        x = layers.Concatenate()([x, skip])
        x = conv_bn_relu(conv_bn_relu(x, f), f)

    logits = layers.Conv2D(n_classes, 1, name="logits")(x)
    probs = layers.Softmax(axis=-1, name="probs")(logits)
    return keras.Model(inputs, probs, name="attention_unet")


# ---------------------------------------------------------------------------
# Generalised Dice loss (Sudre et al. 2017): class weights = 1 / volume^2
# ---------------------------------------------------------------------------
def generalised_dice_loss(y_true, y_pred, eps=1e-6):
    y_true = ops.cast(y_true, "float32")
    spatial = (1, 2)
    ref_vol = ops.sum(y_true, axis=spatial)                     # (B, C)
    w = 1.0 / (ops.square(ref_vol) + eps)
    intersect = ops.sum(y_true * y_pred, axis=spatial)
    seg_vol = ops.sum(y_true + y_pred, axis=spatial)
    num = 2.0 * ops.sum(w * intersect, axis=-1)
    den = ops.sum(w * seg_vol, axis=-1)
    return 1.0 - ops.mean(num / (den + eps))


def gdl_plus_ce(y_true, y_pred):
    ce = keras.losses.categorical_crossentropy(y_true, y_pred)
    return ops.mean(ce) + generalised_dice_loss(y_true, y_pred)


class MeanClassDice(keras.metrics.Metric):
    """Mean Dice over foreground classes, computed on argmax predictions."""

    def __init__(self, n_classes, name="mean_fg_dice", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_classes = n_classes
        self.inter = self.add_weight(shape=(n_classes,), initializer="zeros", name="inter")
        self.total = self.add_weight(shape=(n_classes,), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        pred_oh = ops.one_hot(ops.argmax(y_pred, axis=-1), self.n_classes)
        y_true = ops.cast(y_true, "float32")
        self.inter.assign_add(ops.sum(pred_oh * y_true, axis=(0, 1, 2)))
        self.total.assign_add(ops.sum(pred_oh + y_true, axis=(0, 1, 2)))

    def result(self):
        dice = 2.0 * self.inter / (self.total + 1e-6)
        return ops.mean(dice[1:])

    def reset_state(self):
        self.inter.assign(ops.zeros_like(self.inter))
        self.total.assign(ops.zeros_like(self.total))


def synthetic_organs(n, size=64, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    imgs = np.zeros((n, size, size, 1), np.float32)
    labels = np.zeros((n, size, size), np.int32)
    for i in range(n):
        img = rng.normal(0, 0.1, (size, size))
        for cls in range(1, N_CLASSES):
            cy, cx = rng.uniform(12, size - 12, 2)
            r = rng.uniform(4, 10)
            blob = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
            labels[i][blob] = cls
            img[blob] = 0.3 * cls + rng.normal(0, 0.05, blob.sum())
        imgs[i, ..., 0] = img
    onehot = np.eye(N_CLASSES, dtype=np.float32)[labels]
    return imgs, onehot


if __name__ == "__main__":
    x, y = synthetic_organs(32)
    print("images", x.shape, "one-hot masks", y.shape)
    print("class voxel counts:", y.sum(axis=(0, 1, 2)).astype(int))

    model = build_attention_unet()
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss=gdl_plus_ce,
                  metrics=[MeanClassDice(N_CLASSES), "categorical_accuracy"])
    print(f"params: {model.count_params():,}")
    model.fit(x, y, batch_size=BATCH, epochs=1, validation_split=0.25, verbose=2)

    # Inspect attention maps from the shallowest gate
    gate = model.get_layer("att_gate_0")
    probe = keras.Model(model.input, gate.output)
    gated_skip = probe.predict(x[:2], verbose=0)
    print("gated skip features:", gated_skip.shape)

    seg = ops.convert_to_numpy(ops.argmax(model.predict(x[:2], verbose=0), axis=-1))
    print("predicted label map:", seg.shape, "labels present:", np.unique(seg))
