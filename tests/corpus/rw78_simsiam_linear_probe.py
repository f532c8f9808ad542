"""SimSiam pre-training followed by a linear probe, Keras 3.

Stage 1: SimSiam (Chen & He, 2020) - siamese encoder + predictor with a
         stop-gradient on the other branch; no negatives, no momentum encoder.
Stage 2: freeze the backbone and train a linear classifier on top
         (standard "linear evaluation protocol").

Augmentations are Keras preprocessing layers applied on the fly inside the
model, so the same code works on any backend.
"""
import math

import numpy as np
import keras
from keras import layers, ops

# -------------------------------------------------------------------------
SETTINGS = dict(
    n_classes=4,
    n_per_class=64,
    img=32,
    pretrain_epochs=1,
    probe_epochs=2,
    batch_size=32,
    proj_dim=128,
    pred_hidden=32,       # SimSiam's bottleneck predictor
    base_lr=0.05,
    weight_decay=5e-4,
)
keras.utils.set_random_seed(123)


def make_labelled_shapes(n_classes, n_per_class, size):
    """Each class is a different oriented grating + noise. Labels only used by the probe."""
    xs, ys = [], []
    grid = np.linspace(-1, 1, size, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    for c in range(n_classes):
        theta = math.pi * c / n_classes
        for _ in range(n_per_class):
            freq = np.random.uniform(3, 6)
            wave = np.sin(freq * math.pi * (gx * math.cos(theta) + gy * math.sin(theta)))
            img = np.stack([wave] * 3, axis=-1) * 0.4 + 0.5
            img += np.random.normal(0, 0.1, img.shape)
            xs.append(np.clip(img, 0, 1))
            ys.append(c)
    xs = np.asarray(xs, dtype="float32")
    ys = np.asarray(ys, dtype="int32")
    perm = np.random.permutation(len(xs))
    return xs[perm], ys[perm]


def augmenter(name):
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomTranslation(0.15, 0.15, fill_mode="reflect"),
            layers.RandomZoom((-0.3, 0.1)),
            layers.RandomContrast(0.4),
            layers.RandomBrightness(0.3, value_range=(0, 1)),
        ],
        name=name,
    )


def backbone(img):
    inputs = keras.Input((img, img, 3))
    x = inputs
    for i, filters in enumerate([32, 64, 128]):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu")(x)
        if i < 2:
            x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return keras.Model(inputs, x, name="backbone")


def projector(in_dim, out_dim):
    # 3-layer projection MLP, BN on the output too (no ReLU)
    return keras.Sequential(
        [
            keras.Input((in_dim,)),
            layers.Dense(out_dim, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
            layers.Dense(out_dim, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
            layers.Dense(out_dim, use_bias=False), layers.BatchNormalization(center=False, scale=False),
        ],
        name="projector",
    )


def predictor(dim, hidden):
    return keras.Sequential(
        [
            keras.Input((dim,)),
            layers.Dense(hidden, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
            layers.Dense(dim),
        ],
        name="predictor",
    )


def negative_cosine(p, z):
    """D(p, z) = -cos(p, stopgrad(z))"""
    z = ops.stop_gradient(z)
    p = ops.normalize(p, axis=1)
    z = ops.normalize(z, axis=1)
    return -ops.mean(ops.sum(p * z, axis=1))


class SimSiam(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.aug = augmenter("simsiam_aug")
        self.backbone = backbone(cfg["img"])
        self.projector = projector(self.backbone.output_shape[-1], cfg["proj_dim"])
        self.predictor = predictor(cfg["proj_dim"], cfg["pred_hidden"])
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.std_tracker = keras.metrics.Mean(name="z_std")   # collapse monitor

    @property
    def metrics(self):
        return [self.loss_tracker, self.std_tracker]

    def compute_embeddings(self, x, training):
        z = self.projector(self.backbone(x, training=training), training=training)
        p = self.predictor(z, training=training)
        return z, p

    def call(self, x, training=False):
        return self.compute_embeddings(x, training)

    def train_step(self, data):
        import tensorflow as tf  # train_step is backend specific anyway

        x = data[0] if isinstance(data, tuple) else data
        x1 = self.aug(x, training=True)
        x2 = self.aug(x, training=True)
        with tf.GradientTape() as tape:
            z1, p1 = self.compute_embeddings(x1, training=True)
            z2, p2 = self.compute_embeddings(x2, training=True)
            loss = 0.5 * negative_cosine(p1, z2) + 0.5 * negative_cosine(p2, z1)
        variables = (self.backbone.trainable_variables
                     + self.projector.trainable_variables
                     + self.predictor.trainable_variables)
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables))

        # std of l2-normalised z should be ~1/sqrt(d); ~0 means collapse
        self.std_tracker.update_state(ops.mean(ops.std(ops.normalize(z1, axis=1), axis=0)))
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}


def linear_probe(frozen_backbone, n_classes):
    frozen_backbone.trainable = False
    inp = keras.Input(frozen_backbone.input_shape[1:])
    feats = frozen_backbone(inp, training=False)  # keep BN in inference mode
    feats = layers.BatchNormalization(center=False, scale=False)(feats)
    out = layers.Dense(n_classes, name="linear_head")(feats)
    return keras.Model(inp, out, name="linear_probe")


def main(cfg=SETTINGS):
    x, y = make_labelled_shapes(cfg["n_classes"], cfg["n_per_class"], cfg["img"])
    split = int(0.8 * len(x))
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    print("train:", x_train.shape, "test:", x_test.shape)

    # ---- stage 1: self-supervised ------------------------------------------
    steps = math.ceil(len(x_train) / cfg["batch_size"]) * cfg["pretrain_epochs"]
    lr = cfg["base_lr"] * cfg["batch_size"] / 256   # linear scaling rule
    schedule = keras.optimizers.schedules.CosineDecay(lr, decay_steps=steps)
    simsiam = SimSiam(cfg)
    simsiam.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9,
                                                    weight_decay=cfg["weight_decay"]))
    simsiam.fit(x_train, epochs=cfg["pretrain_epochs"], batch_size=cfg["batch_size"], verbose=2)

    # ---- stage 2: linear evaluation ------------------------------------------
    probe = linear_probe(simsiam.backbone, cfg["n_classes"])
    probe.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    probe.summary(show_trainable=True)
    probe.fit(x_train, y_train, validation_data=(x_test, y_test),
              epochs=cfg["probe_epochs"], batch_size=cfg["batch_size"], verbose=2)
    loss, acc = probe.evaluate(x_test, y_test, verbose=0)
    print(f"linear probe accuracy: {acc:.3f} (chance = {1 / cfg['n_classes']:.3f})")


if __name__ == "__main__":
    main()
