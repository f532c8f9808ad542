"""PointNet part segmentation, written as subclassed Keras layers/model.

Each point gets a label. Per-point local features from the shared MLP are
concatenated with the (tiled) global max-pooled feature and a one-hot of the
object category, as in the PointNet paper's segmentation head. Data is a toy
"lamp" = base disk + pole + shade, each a different part label.
"""
import numpy as np
import keras
from keras import layers, ops

N_POINTS = 512
N_PARTS = 3
N_CATEGORIES = 2
BATCH = 8


class SharedMLP(layers.Layer):
    """Stack of 1x1 convolutions applied identically to every point."""

    def __init__(self, units, bn_momentum=0.9, **kwargs):
        super().__init__(**kwargs)
        self.units = list(units)
        self.convs = [layers.Conv1D(u, 1, use_bias=False) for u in self.units]
        self.norms = [layers.BatchNormalization(momentum=bn_momentum) for _ in self.units]

    def call(self, x, training=None):
        outs = []
        for conv, bn in zip(self.convs, self.norms):
            x = ops.relu(bn(conv(x), training=training))
            outs.append(x)
        return x, outs

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units)
        return cfg


class PointNetSeg(keras.Model):
    def __init__(self, n_parts, n_categories, **kwargs):
        super().__init__(**kwargs)
        self.n_categories = n_categories
        self.encoder = SharedMLP([64, 128, 128], name="point_mlp")
        self.lift = SharedMLP([256], name="lift_mlp")
        self.head = SharedMLP([128, 64], name="seg_head_mlp")
        self.dropout = layers.Dropout(0.2)
        self.classifier = layers.Conv1D(n_parts, 1, name="part_logits")

    def call(self, inputs, training=None):
        points, category = inputs["points"], inputs["category"]
        n = ops.shape(points)[1]

        x, skips = self.encoder(points, training=training)          # (B, N, 128)
        g, _ = self.lift(x, training=training)                      # (B, N, 256)
        global_feat = ops.max(g, axis=1, keepdims=True)             # (B, 1, 256)

        cat_onehot = ops.one_hot(category, self.n_categories)        # (B, C)
        global_feat = ops.concatenate(
            [global_feat, ops.expand_dims(cat_onehot, 1)], axis=-1)  # (B, 1, 256 + C)
        global_tiled = ops.tile(global_feat, [1, n, 1])              # (B, N, 256 + C)

        # multi-scale local features + global context, per point
        feat = ops.concatenate(skips + [global_tiled], axis=-1)
        feat, _ = self.head(feat, training=training)
        feat = self.dropout(feat, training=training)
        return self.classifier(feat)                                # (B, N, parts) logits


def make_lamp(n, rng, category):
    """Return (points, part_labels); category 1 gets a taller pole."""
    n_base, n_pole = n // 3, n // 3
    n_shade = n - n_base - n_pole
    r = np.sqrt(rng.uniform(0, 1, n_base)) * 0.6
    th = rng.uniform(0, 2 * np.pi, n_base)
    base = np.stack([r * np.cos(th), r * np.sin(th), np.zeros(n_base)], 1)
    pole_h = 1.0 if category == 0 else 1.6
    pole = np.stack([rng.normal(0, 0.03, n_pole), rng.normal(0, 0.03, n_pole),
                     rng.uniform(0, pole_h, n_pole)], 1)
    h = rng.uniform(0, 1, n_shade)
    th = rng.uniform(0, 2 * np.pi, n_shade)
    rad = 0.2 + 0.3 * h
    shade = np.stack([rad * np.cos(th), rad * np.sin(th), pole_h + 0.4 * (1 - h)], 1)
    pts = np.concatenate([base, pole, shade]).astype("float32")
    lbl = np.concatenate([np.zeros(n_base), np.ones(n_pole), np.full(n_shade, 2)]).astype("int32")
    perm = rng.permutation(n)
    pts = pts - pts.mean(0)
    return pts[perm], lbl[perm]


def build_data(num, rng):
    cats = rng.integers(0, N_CATEGORIES, num).astype("int32")
    pts, lbls = zip(*(make_lamp(N_POINTS, rng, c) for c in cats))
    return {"points": np.stack(pts), "category": cats}, np.stack(lbls)


def mean_iou(y_true, logits, n_parts):
    """Per-shape mIoU over parts, averaged over shapes (ShapeNet-part protocol)."""
    pred = np.argmax(logits, -1)
    ious = []
    for t, p in zip(y_true, pred):
        part_ious = []
        for k in range(n_parts):
            union = np.sum((t == k) | (p == k))
            inter = np.sum((t == k) & (p == k))
            part_ious.append(1.0 if union == 0 else inter / union)
        ious.append(np.mean(part_ious))
    return float(np.mean(ious))


if __name__ == "__main__":
    rng = np.random.default_rng(3)
    x_train, y_train = build_data(48, rng)
    x_val, y_val = build_data(8, rng)
    print({k: v.shape for k, v in x_train.items()}, "labels:", y_train.shape)

    model = PointNetSeg(N_PARTS, N_CATEGORIES)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="point_acc")],
    )
    model.fit(x_train, y_train, batch_size=BATCH, epochs=2,
              validation_data=(x_val, y_val), verbose=2)
    model.summary()

    logits = model.predict(x_val, verbose=0)
    print("logits:", logits.shape)
    print("val mIoU: %.3f" % mean_iou(y_val, logits, N_PARTS))

    # PointNet is trained on fixed N but works on any N at inference time
    pts, lbl = make_lamp(1000, rng, category=1)
    out = model({"points": pts[None], "category": np.array([1], "int32")}, training=False)
    print("variable-size inference:", tuple(out.shape))
