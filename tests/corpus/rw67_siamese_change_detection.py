"""Bi-temporal change detection with a Siamese FC-EF/FC-Siam-diff network.

Two co-registered multispectral acquisitions (before / after) go through a
weight-shared encoder; per-scale absolute feature differences are fed to
the decoder, which predicts a binary change map. Uses keras.ops so it is
backend-agnostic, a custom streaming IoU metric and a focal-Tversky loss.
"""
import numpy as np
import keras
from keras import layers, ops


class cfg:
    img_size = 64
    bands = 6            # e.g. Landsat B2-B7
    widths = (16, 32, 64)
    batch_size = 4
    n_pairs = 16
    tversky_alpha = 0.7  # penalise false negatives more (changes are rare)
    focal_gamma = 0.75


def simulate_pairs(n, size, bands, seed=3):
    rng = np.random.default_rng(seed)
    t1 = rng.uniform(0, 1, (n, size, size, bands)).astype("float32")
    t2 = t1 + rng.normal(0, 0.02, t1.shape).astype("float32")  # radiometric noise
    change = np.zeros((n, size, size, 1), "float32")
    for i in range(n):
        for _ in range(rng.integers(1, 4)):  # a few new "buildings"
            y, x = rng.integers(0, size - 12, 2)
            hh, ww = rng.integers(4, 12, 2)
            change[i, y:y + hh, x:x + ww] = 1.0
            t2[i, y:y + hh, x:x + ww] = rng.uniform(0.6, 1.0, bands)
    return t1, t2, change


def make_encoder(input_shape, widths):
    inp = keras.Input(input_shape)
    x = inp
    feats = []
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, padding="same", activation="relu", name=f"e{i}a")(x)
        x = layers.Conv2D(w, 3, padding="same", activation="relu", name=f"e{i}b")(x)
        feats.append(x)
        if i < len(widths) - 1:
            x = layers.MaxPooling2D(name=f"pool{i}")(x)
    return keras.Model(inp, feats, name="shared_encoder")


class AbsDiff(layers.Layer):
    def call(self, a, b):
        return ops.abs(ops.subtract(a, b))


def build_siamese(c=cfg):
    shape = (c.img_size, c.img_size, c.bands)
    before = keras.Input(shape, name="t1")
    after = keras.Input(shape, name="t2")
    encoder = make_encoder(shape, c.widths)
    f1 = encoder(before)
    f2 = encoder(after)
    diffs = [AbsDiff(name=f"diff{i}")(a, b) for i, (a, b) in enumerate(zip(f1, f2))]

    x = diffs[-1]
    for i in reversed(range(len(c.widths) - 1)):
        x = layers.Conv2DTranspose(c.widths[i], 3, strides=2, padding="same")(x)
        x = layers.Concatenate()([x, diffs[i]])
        x = layers.Conv2D(c.widths[i], 3, padding="same", activation="relu")(x)
    out = layers.Conv2D(1, 1, activation="sigmoid", name="change")(x)
    return keras.Model([before, after], out, name="fc_siam_diff")


def focal_tversky_loss(alpha=cfg.tversky_alpha, gamma=cfg.focal_gamma, smooth=1e-6):
    beta = 1.0 - alpha

    def loss(y_true, y_pred):
        y_true = ops.reshape(y_true, (ops.shape(y_true)[0], -1))
        y_pred = ops.reshape(y_pred, (ops.shape(y_pred)[0], -1))
        tp = ops.sum(y_true * y_pred, axis=1)
        fn = ops.sum(y_true * (1 - y_pred), axis=1)
        fp = ops.sum((1 - y_true) * y_pred, axis=1)
        tversky = (tp + smooth) / (tp + alpha * fn + beta * fp + smooth)
        return ops.power(1.0 - tversky, gamma)

    loss.__name__ = "focal_tversky"
    return loss


class ChangeIoU(keras.metrics.Metric):
    """Streaming IoU / F1 for the 'changed' class."""

    def __init__(self, threshold=0.5, name="change_iou", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.fp = self.add_weight(name="fp", initializer="zeros")
        self.fn = self.add_weight(name="fn", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        pred = ops.cast(y_pred > self.threshold, "float32")
        y_true = ops.cast(y_true, "float32")
        self.tp.assign_add(ops.sum(pred * y_true))
        self.fp.assign_add(ops.sum(pred * (1 - y_true)))
        self.fn.assign_add(ops.sum((1 - pred) * y_true))

    def result(self):
        return ops.divide_no_nan(self.tp, self.tp + self.fp + self.fn)

    def reset_state(self):
        for v in (self.tp, self.fp, self.fn):
            v.assign(0.0)


if __name__ == "__main__":
    keras.utils.set_random_seed(11)
    t1, t2, change = simulate_pairs(cfg.n_pairs, cfg.img_size, cfg.bands)
    print("pairs:", t1.shape, t2.shape, "change ratio: %.3f" % change.mean())

    model = build_siamese()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=focal_tversky_loss(),
        metrics=[ChangeIoU(), keras.metrics.Precision(name="prec"), keras.metrics.Recall(name="rec")],
    )
    model.fit({"t1": t1, "t2": t2}, change, batch_size=cfg.batch_size, epochs=1,
              validation_split=0.25, verbose=2)

    # temporal symmetry check: swapping dates should give (nearly) the same map
    p_fwd = model.predict([t1[:2], t2[:2]], verbose=0)
    p_bwd = model.predict([t2[:2], t1[:2]], verbose=0)
    print("output:", p_fwd.shape, "max |fwd - bwd|:", float(np.abs(p_fwd - p_bwd).max()))
