"""2.5-D multi-class U-Net with focal Tversky loss and a custom train_step.

Input is a stack of K adjacent axial slices (channels) and the target is the
label map of the centre slice -- a cheap way to give a 2-D net some
through-plane context. The model is a subclassed keras.Model holding its
encoder/decoder blocks as sub-layers, and overrides train_step/test_step to
track per-class Dice alongside the loss.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class Config:
    n_slices: int = 5           # 2.5D context: centre +/- 2
    img_size: int = 48
    n_classes: int = 3          # background, prostate zone A, zone B
    widths: tuple = (8, 16, 32)
    dropout: float = 0.1
    alpha: float = 0.7          # weight on FN in Tversky
    gamma: float = 0.75         # focal exponent (Abraham & Khan 2019)
    lr: float = 1e-3
    batch_size: int = 4
    epochs: int = 1
    class_names: list = field(default_factory=lambda: ["bg", "pz", "tz"])


# ---------------------------------------------------------------------------
# Data: synthetic volumes -> 2.5D slabs
# ---------------------------------------------------------------------------
def synthetic_volume(cfg, depth=16, seed=None):
    rng = np.random.default_rng(seed)
    s = cfg.img_size
    zz, yy, xx = np.meshgrid(np.arange(depth), np.arange(s), np.arange(s), indexing="ij")
    cz, cy, cx = depth / 2, s / 2 + rng.uniform(-4, 4), s / 2 + rng.uniform(-4, 4)
    r = np.sqrt(((zz - cz) * 2.0) ** 2 + (yy - cy) ** 2 + (xx - cx) ** 2)
    lab = np.zeros(zz.shape, np.int32)
    lab[r < 14] = 1
    lab[r < 7] = 2
    img = rng.normal(0, 0.2, zz.shape) + 0.6 * (lab == 1) + 1.2 * (lab == 2)
    return img.astype(np.float32), lab


def volume_to_slabs(vol, lab, k):
    """Sliding stack of k neighbouring slices; edges are reflect-padded."""
    half = k // 2
    padded = np.pad(vol, ((half, half), (0, 0), (0, 0)), mode="reflect")
    slabs = np.stack([padded[i:i + k] for i in range(vol.shape[0])])  # (D, k, H, W)
    slabs = np.transpose(slabs, (0, 2, 3, 1))                          # (D, H, W, k)
    return slabs, lab


def make_dataset(cfg, n_vols, seed, training):
    xs, ys = [], []
    for v in range(n_vols):
        vol, lab = synthetic_volume(cfg, seed=seed + v)
        x, y = volume_to_slabs(vol, lab, cfg.n_slices)
        xs.append(x)
        ys.append(y)
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=seed)
        # left-right flip is anatomically safe for this task
        ds = ds.map(random_lr_flip, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE), x.shape


def random_lr_flip(x, y):
    flip = tf.random.uniform([]) > 0.5
    x = tf.cond(flip, lambda: tf.reverse(x, [1]), lambda: x)
    y = tf.cond(flip, lambda: tf.reverse(y, [1]), lambda: y)
    return x, y


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class ConvBlock(keras.layers.Layer):
    def __init__(self, filters, dropout=0.0, **kw):
        super().__init__(**kw)
        self.c1 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.n1 = keras.layers.BatchNormalization()
        self.c2 = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.n2 = keras.layers.BatchNormalization()
        self.drop = keras.layers.Dropout(dropout) if dropout > 0 else None

    def call(self, x, training=False):
        x = tf.nn.relu(self.n1(self.c1(x), training=training))
        x = tf.nn.relu(self.n2(self.c2(x), training=training))
        if self.drop is not None:
            x = self.drop(x, training=training)
        return x


class UNet25D(keras.Model):
    def __init__(self, cfg: Config, **kw):
        super().__init__(**kw)
        self.cfg = cfg
        self.down = [ConvBlock(w, name=f"down_{i}") for i, w in enumerate(cfg.widths[:-1])]
        self.pool = keras.layers.MaxPool2D()
        self.bottom = ConvBlock(cfg.widths[-1], dropout=cfg.dropout, name="bottom")
        self.ups = [keras.layers.Conv2DTranspose(w, 2, strides=2) for w in cfg.widths[-2::-1]]
        self.up_blocks = [ConvBlock(w, name=f"up_{i}") for i, w in enumerate(cfg.widths[-2::-1])]
        self.head = keras.layers.Conv2D(cfg.n_classes, 1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.dice_trackers = [keras.metrics.Mean(name=f"dice_{n}") for n in cfg.class_names[1:]]

    def call(self, x, training=False):
        skips = []
        for blk in self.down:
            x = blk(x, training=training)
            skips.append(x)
            x = self.pool(x)
        x = self.bottom(x, training=training)
        for up, blk, skip in zip(self.ups, self.up_blocks, reversed(skips)):
            x = tf.concat([up(x), skip], axis=-1)
            x = blk(x, training=training)
        return self.head(x)  # logits

    @property
    def metrics(self):
        return [self.loss_tracker, *self.dice_trackers]

    # ---- loss & metric helpers ------------------------------------------
    def focal_tversky(self, y_true, logits):
        probs = tf.nn.softmax(logits, axis=-1)
        onehot = tf.one_hot(y_true, self.cfg.n_classes)
        axes = [0, 1, 2]
        tp = tf.reduce_sum(onehot * probs, axes)
        fn = tf.reduce_sum(onehot * (1 - probs), axes)
        fp = tf.reduce_sum((1 - onehot) * probs, axes)
        a = self.cfg.alpha
        tversky = (tp + 1e-6) / (tp + a * fn + (1 - a) * fp + 1e-6)
        # skip background in the loss, as is common for highly imbalanced masks
        return tf.reduce_mean(tf.pow(1.0 - tversky[1:], self.cfg.gamma))

    def _update_dice(self, y_true, logits):
        pred = tf.argmax(logits, axis=-1, output_type=tf.int32)
        for c, tracker in enumerate(self.dice_trackers, start=1):
            p = tf.cast(pred == c, tf.float32)
            t = tf.cast(y_true == c, tf.float32)
            dice = (2 * tf.reduce_sum(p * t) + 1e-6) / (tf.reduce_sum(p) + tf.reduce_sum(t) + 1e-6)
            tracker.update_state(dice)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.focal_tversky(y, logits)
            loss += tf.add_n(self.losses) if self.losses else 0.0
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self._update_dice(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        self.loss_tracker.update_state(self.focal_tversky(y, logits))
        self._update_dice(y, logits)
        return {m.name: m.result() for m in self.metrics}


def main():
    cfg = Config()
    train_ds, train_shape = make_dataset(cfg, n_vols=3, seed=0, training=True)
    val_ds, val_shape = make_dataset(cfg, n_vols=1, seed=100, training=False)
    print(f"train slabs {train_shape}, val slabs {val_shape}")

    model = UNet25D(cfg, name="unet25d")
    # subclassed model: run a dummy batch through it so summary() has shapes
    _ = model(tf.zeros((1, cfg.img_size, cfg.img_size, cfg.n_slices)))
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr))
    model.summary()

    hist = model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in hist.history.items()})

    sample_x, sample_y = next(iter(val_ds))
    pred = tf.argmax(model(sample_x, training=False), axis=-1)
    print("pred:", pred.shape, "gt:", sample_y.shape)


if __name__ == "__main__":
    main()
