"""2.5-D Attention U-Net for liver segmentation on abdominal CT.

Each training sample is a stack of 3 adjacent axial slices (k-1, k, k+1)
used as channels, HU-windowed to the abdomen/liver window. Skip
connections are filtered by additive attention gates (Oktay et al. 2018).
Volumes are synthetic ellipsoids in Hounsfield units.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

HU_MIN, HU_MAX = -100.0, 400.0   # liver window (W:500, L:150)
N_CONTEXT = 1                     # slices on each side -> 3 channels
SLICE_HW = 64
N_VOLUMES = 2
DEPTH = 12
BATCH = 4
FILTERS = [8, 16, 32]


def synth_ct_volume(rng):
    z, y, x = np.mgrid[:DEPTH, :SLICE_HW, :SLICE_HW].astype("float32")
    vol = np.full((DEPTH, SLICE_HW, SLICE_HW), -1000.0, "float32")      # air
    body = ((y - 32) / 28) ** 2 + ((x - 32) / 30) ** 2 < 1
    vol[:, body[0]] = 40.0                                               # soft tissue
    cz, cy, cx = DEPTH / 2, rng.uniform(24, 32), rng.uniform(20, 28)
    liver = ((z - cz) / 6) ** 2 + ((y - cy) / 12) ** 2 + ((x - cx) / 14) ** 2 < 1
    vol[liver] = 60.0 + rng.normal(0, 8, liver.sum())                    # liver parenchyma
    spine = ((y - 52) / 5) ** 2 + ((x - 32) / 5) ** 2 < 1
    vol[spine] = 700.0                                                   # bone
    vol += rng.normal(0, 10, vol.shape).astype("float32")
    return vol, liver.astype("float32")


def volume_to_stacks(vol, mask, k=N_CONTEXT):
    """Turn (D, H, W) into (D, H, W, 2k+1) using edge-replicated neighbours."""
    padded = np.pad(vol, ((k, k), (0, 0), (0, 0)), mode="edge")
    stacks = np.stack([padded[i:i + vol.shape[0]] for i in range(2 * k + 1)], axis=-1)
    return stacks, mask[..., None]


def hu_window(image, mask):
    image = tf.clip_by_value(image, HU_MIN, HU_MAX)
    image = (image - HU_MIN) / (HU_MAX - HU_MIN)
    return image, mask


def random_intensity(image, mask):
    # small contrast/brightness jitter, typical for CT augmentation
    scale = tf.random.uniform([], 0.9, 1.1)
    shift = tf.random.uniform([], -0.05, 0.05)
    return tf.clip_by_value(image * scale + shift, 0.0, 1.0), mask


class AttentionGate(L.Layer):
    """Additive attention gate: alpha = sigmoid(psi(relu(Wx*x + Wg*g)))."""

    def __init__(self, inter_channels, **kwargs):
        super().__init__(**kwargs)
        self.inter_channels = inter_channels

    def build(self, input_shape):
        x_shape, g_shape = input_shape
        self.theta_x = L.Conv2D(self.inter_channels, 2, strides=2, use_bias=False)
        self.phi_g = L.Conv2D(self.inter_channels, 1, use_bias=True)
        self.psi = L.Conv2D(1, 1, use_bias=True)
        self.theta_x.build(x_shape)
        self.phi_g.build(g_shape)
        self.psi.build(tuple(g_shape[:-1]) + (self.inter_channels,))
        self.up = L.UpSampling2D(size=2, interpolation="bilinear")
        super().build(input_shape)

    def call(self, inputs):
        x, g = inputs
        f = tf.nn.relu(self.theta_x(x) + self.phi_g(g))
        alpha = tf.sigmoid(self.psi(f))
        alpha = self.up(alpha)
        return x * alpha  # broadcast over channels

    def get_config(self):
        return {**super().get_config(), "inter_channels": self.inter_channels}


def double_conv(x, f):
    for _ in range(2):
        x = L.Conv2D(f, 3, padding="same", kernel_initializer="he_normal")(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU()(x)
    return x


def attention_unet(input_shape=(SLICE_HW, SLICE_HW, 2 * N_CONTEXT + 1)):
    inp = L.Input(input_shape)
    skips, x = [], inp
    for f in FILTERS[:-1]:
        x = double_conv(x, f)
        skips.append(x)
        x = L.MaxPool2D()(x)
    x = double_conv(x, FILTERS[-1])
    for f, skip in zip(reversed(FILTERS[:-1]), reversed(skips)):
        gated = AttentionGate(f // 2)([skip, x])
        x = L.Conv2DTranspose(f, 3, strides=2, padding="same")(x)
        x = L.concatenate([x, gated])
        x = double_conv(x, f)
    out = L.Conv2D(1, 1, activation="sigmoid")(x)
    return keras.Model(inp, out, name="attn_unet_2p5d")


def dice_loss(y_true, y_pred, eps=1.0):
    num = 2.0 * tf.reduce_sum(y_true * y_pred, axis=[1, 2, 3]) + eps
    den = tf.reduce_sum(y_true + y_pred, axis=[1, 2, 3]) + eps
    return 1.0 - num / den


def combo_loss(y_true, y_pred):
    focal = keras.losses.BinaryFocalCrossentropy(gamma=2.0, reduction=None)(y_true, y_pred)
    return tf.reduce_mean(focal, axis=[1, 2]) + dice_loss(y_true, y_pred)


def hard_dice(y_true, y_pred):
    return 1.0 - dice_loss(y_true, tf.cast(y_pred > 0.5, tf.float32), eps=1e-6)


if __name__ == "__main__":
    rng = np.random.default_rng(2024)
    X, Y = [], []
    for _ in range(N_VOLUMES):
        v, m = synth_ct_volume(rng)
        xs, ys = volume_to_stacks(v, m)
        X.append(xs)
        Y.append(ys)
    X, Y = np.concatenate(X), np.concatenate(Y)
    # drop slices without any liver, common trick to balance training
    keep = Y.reshape(len(Y), -1).max(axis=1) > 0
    X, Y = X[keep], Y[keep]
    print(f"2.5D stacks: {X.shape}, masks: {Y.shape}, foreground {Y.mean():.3f}")

    ds = (tf.data.Dataset.from_tensor_slices((X, Y))
          .map(hu_window)
          .shuffle(len(X))
          .map(random_intensity, num_parallel_calls=tf.data.AUTOTUNE)
          .batch(BATCH)
          .prefetch(2))

    model = attention_unet()
    print("trainable weights:", len(model.trainable_weights), "params:", model.count_params())
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=combo_loss, metrics=[hard_dice])
    model.fit(ds, epochs=1, verbose=2,
              callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="loss", patience=1)])

    # slice-by-slice inference over one full volume, then restack to 3-D
    vol, gt = synth_ct_volume(rng)
    stacks, _ = volume_to_stacks(vol, gt)
    stacks, _ = hu_window(stacks, None)
    pred_vol = model.predict(stacks, batch_size=BATCH, verbose=0)[..., 0]
    print("predicted volume:", pred_vol.shape,
          "3-D dice: %.3f" % float(hard_dice(gt[None], pred_vol[None])[0]))
