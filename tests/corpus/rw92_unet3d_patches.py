"""3-D U-Net trained on random foreground-biased patches from synthetic MRI volumes.

Mirrors a typical BraTS-style pipeline: whole volumes live in memory,
patches of fixed size are sampled with a configurable probability of
being centred on foreground, and a small 3-D U-Net is trained with a
Tversky loss in a hand-written GradientTape loop.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "volume_shape": (48, 48, 32),
    "patch_shape": (24, 24, 16),
    "n_volumes": 4,
    "patches_per_volume": 8,
    "fg_prob": 0.6,  # fraction of patches centred on a foreground voxel
    "batch_size": 4,
    "base_filters": 4,
    "lr": 2e-3,
    "tversky_alpha": 0.3,  # FP weight
    "tversky_beta": 0.7,   # FN weight -> favour recall for small tumours
    "steps": 6,
    "seed": 7,
}

np_rng = np.random.default_rng(CONFIG["seed"])
tf.random.set_seed(CONFIG["seed"])


# ---------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------
def synth_volume(shape):
    """Noisy volume with one or two spherical 'tumours'."""
    zz, yy, xx = np.meshgrid(*[np.arange(s) for s in shape], indexing="ij")
    vol = np_rng.normal(0, 0.2, shape).astype(np.float32)
    # smooth "brain" blob in the middle so background isn't pure noise
    centre = np.array(shape) / 2
    r = np.sqrt(((zz - centre[0]) / shape[0]) ** 2 + ((yy - centre[1]) / shape[1]) ** 2
                + ((xx - centre[2]) / shape[2]) ** 2)
    vol += (r < 0.4).astype(np.float32) * 0.5
    seg = np.zeros(shape, np.uint8)
    for _ in range(np_rng.integers(1, 3)):
        c = [np_rng.integers(8, s - 8) for s in shape]
        rad = np_rng.integers(3, 7)
        sphere = (zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2 <= rad ** 2
        seg[sphere] = 1
        vol[sphere] += 1.0
    return vol, seg


def zscore(vol, mask=None):
    """Per-volume z-score normalisation over the nonzero / body region."""
    region = vol[mask] if mask is not None else vol
    return (vol - region.mean()) / (region.std() + 1e-8)


def sample_patch_corner(seg, patch_shape, fg_prob):
    vol_shape = np.array(seg.shape)
    ps = np.array(patch_shape)
    if np_rng.random() < fg_prob and seg.any():
        fg = np.argwhere(seg > 0)
        centre = fg[np_rng.integers(len(fg))]
        corner = centre - ps // 2
    else:
        corner = np.array([np_rng.integers(0, s - p + 1) for s, p in zip(vol_shape, ps)])
    return np.clip(corner, 0, vol_shape - ps)


def extract_patches(volumes, segs, cfg):
    xs, ys = [], []
    ps = cfg["patch_shape"]
    for vol, seg in zip(volumes, segs):
        for _ in range(cfg["patches_per_volume"]):
            z, y, x = sample_patch_corner(seg, ps, cfg["fg_prob"])
            sl = (slice(z, z + ps[0]), slice(y, y + ps[1]), slice(x, x + ps[2]))
            xs.append(vol[sl])
            ys.append(seg[sl])
    x = np.stack(xs)[..., np.newaxis].astype(np.float32)
    y = np.stack(ys)[..., np.newaxis].astype(np.float32)
    return x, y


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def double_conv3d(x, filters):
    for _ in range(2):
        x = layers.Conv3D(filters, 3, padding="same", kernel_initializer="he_normal")(x)
        x = layers.GroupNormalization(groups=min(4, filters))(x)
        x = layers.LeakyReLU(negative_slope=0.01)(x)
    return x


def unet3d(patch_shape, base=4, n_levels=3):
    inp = keras.Input(shape=(*patch_shape, 1))
    skips = []
    x = inp
    for lvl in range(n_levels - 1):
        x = double_conv3d(x, base * 2 ** lvl)
        skips.append(x)
        x = layers.MaxPool3D(pool_size=2)(x)
    x = double_conv3d(x, base * 2 ** (n_levels - 1))
    for lvl in reversed(range(n_levels - 1)):
        x = layers.UpSampling3D(size=2)(x)
        x = layers.Conv3D(base * 2 ** lvl, 1)(x)
        x = layers.concatenate([skips[lvl], x])
        x = double_conv3d(x, base * 2 ** lvl)
    out = layers.Conv3D(1, 1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(inp, out, name="unet3d")


# ---------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------
class TverskyLoss(keras.losses.Loss):
    def __init__(self, alpha=0.5, beta=0.5, smooth=1e-5, name="tversky"):
        super().__init__(name=name)
        self.alpha, self.beta, self.smooth = alpha, beta, smooth

    def call(self, y_true, y_pred):
        axes = [1, 2, 3, 4]  # reduce per-sample over spatial + channel dims
        tp = tf.reduce_sum(y_true * y_pred, axis=axes)
        fp = tf.reduce_sum((1.0 - y_true) * y_pred, axis=axes)
        fn = tf.reduce_sum(y_true * (1.0 - y_pred), axis=axes)
        tversky = (tp + self.smooth) / (tp + self.alpha * fp + self.beta * fn + self.smooth)
        return 1.0 - tversky


def main(cfg=CONFIG):
    vols, segs = [], []
    for _ in range(cfg["n_volumes"]):
        v, s = synth_volume(cfg["volume_shape"])
        vols.append(zscore(v, mask=v > 0.2))
        segs.append(s)

    x, y = extract_patches(vols, segs, cfg)
    print(f"patches: x={x.shape} y={y.shape}, fg voxels={y.mean():.4f}")

    ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x), seed=cfg["seed"])
        .batch(cfg["batch_size"], drop_remainder=True)
        .repeat()
        .prefetch(tf.data.AUTOTUNE)
    )

    model = unet3d(cfg["patch_shape"], base=cfg["base_filters"])
    print(f"{model.name}: {model.count_params():,} params, output {model.output_shape}")
    loss_fn = TverskyLoss(cfg["tversky_alpha"], cfg["tversky_beta"])
    optimizer = keras.optimizers.Adam(cfg["lr"])
    loss_tracker = keras.metrics.Mean(name="loss")
    dice_tracker = keras.metrics.Mean(name="dice")

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = loss_fn(yb, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        hard = tf.cast(pred > 0.5, tf.float32)
        inter = tf.reduce_sum(hard * yb, axis=[1, 2, 3, 4])
        denom = tf.reduce_sum(hard, axis=[1, 2, 3, 4]) + tf.reduce_sum(yb, axis=[1, 2, 3, 4])
        dice = tf.reduce_mean((2.0 * inter + 1e-5) / (denom + 1e-5))
        return loss, dice

    t0 = time.time()
    for step, (xb, yb) in enumerate(ds.take(cfg["steps"])):
        loss, dice = train_step(xb, yb)
        loss_tracker.update_state(loss)
        dice_tracker.update_state(dice)
        print(f"step {step:02d}  loss={loss_tracker.result():.4f}  dice={dice_tracker.result():.4f}")
    print(f"done in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
