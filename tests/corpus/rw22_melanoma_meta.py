"""SIIM-ISIC Melanoma - image + patient metadata two-input model.

Image branch: MobileNetV2 (alpha=0.35) backbone (random init here, weights=None, no
internet on the kernel) with in-graph flips/rotations. Metadata branch:
sex, age, anatomic site one-hot -> small MLP. Branches are concatenated
and trained with binary focal loss because positives are ~2%.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = dict(
    img_size=64,
    batch_size=16,
    n_train=96,
    n_valid=32,
    lr=5e-4,
    label_smoothing=0.05,
    focal_gamma=2.0,
    focal_alpha=0.8,
    seed=2020,
)
SITES = ["head/neck", "upper extremity", "lower extremity", "torso", "palms/soles", "oral/genital", "unknown"]

keras.utils.set_random_seed(CONFIG["seed"])
rng = np.random.default_rng(CONFIG["seed"])


def encode_meta(sex, age, site):
    """sex in {0,1,-1 missing}, age in years (nan missing), site string."""
    age = np.where(np.isnan(age), 50.0, age)
    site_oh = np.zeros((len(site), len(SITES)), dtype="float32")
    for i, s in enumerate(site):
        site_oh[i, SITES.index(s)] = 1.0
    return np.column_stack([
        (sex == 1).astype("float32"),
        (sex == -1).astype("float32"),
        (age / 90.0).astype("float32"),
        site_oh,
    ]).astype("float32")


def make_fold(n, pos_rate=0.25):
    s = CONFIG["img_size"]
    images = rng.integers(0, 256, size=(n, s, s, 3)).astype("float32")
    target = (rng.random(n) < pos_rate).astype("float32")
    # make positives slightly darker so there is *something* to learn
    images[target == 1] *= 0.7
    sex = rng.choice([0, 1, -1], size=n, p=[0.48, 0.48, 0.04])
    age = rng.normal(50, 15, size=n).round()
    age[rng.random(n) < 0.03] = np.nan
    site = rng.choice(SITES, size=n)
    return images, encode_meta(sex, age, site), target


def build_dataset(images, meta, target, training):
    ds = tf.data.Dataset.from_tensor_slices(({"image": images, "meta": meta}, target))
    if training:
        ds = ds.shuffle(256, seed=CONFIG["seed"]).repeat()
    return ds.batch(CONFIG["batch_size"], drop_remainder=training).prefetch(tf.data.AUTOTUNE)


class BinaryFocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=0.25, label_smoothing=0.0, name="binary_focal_loss"):
        super().__init__(name=name)
        self.gamma = gamma
        self.alpha = alpha
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        y_true = tf.cast(y_true, y_pred.dtype)
        y_true = y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        bce = -(y_true * tf.math.log(y_pred) + (1.0 - y_true) * tf.math.log(1.0 - y_pred))
        p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
        alpha_t = y_true * self.alpha + (1.0 - y_true) * (1.0 - self.alpha)
        return tf.reduce_mean(alpha_t * tf.pow(1.0 - p_t, self.gamma) * bce, axis=-1)


def build_model(n_meta):
    size = CONFIG["img_size"]
    img_in = keras.Input(shape=(size, size, 3), name="image")
    meta_in = keras.Input(shape=(n_meta,), name="meta")

    aug = keras.Sequential([
        layers.RandomFlip("horizontal_and_vertical"),
        layers.RandomRotation(0.25),
        layers.RandomContrast(0.1),
    ], name="aug")
    x = aug(img_in)
    backbone = keras.applications.MobileNetV2(
        include_top=False, weights=None, input_shape=(size, size, 3), alpha=0.35
    )
    x = backbone(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)

    m = layers.Dense(32)(meta_in)
    m = layers.BatchNormalization()(m)
    m = layers.ReLU()(m)
    m = layers.Dropout(0.2)(m)
    m = layers.Dense(16, activation="relu")(m)

    h = layers.concatenate([x, m], name="fusion")
    h = layers.Dense(64, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid", name="target", dtype="float32")(h)
    return keras.Model(inputs=[img_in, meta_in], outputs=out, name="melanoma_img_meta")


def cosine_lr(epoch, lr, total=10, warmup=1):
    if epoch < warmup:
        return CONFIG["lr"] * (epoch + 1) / warmup
    progress = (epoch - warmup) / max(1, total - warmup)
    return float(CONFIG["lr"] * 0.5 * (1 + np.cos(np.pi * progress)))


tr_img, tr_meta, tr_y = make_fold(CONFIG["n_train"])
va_img, va_meta, va_y = make_fold(CONFIG["n_valid"])
print(f"train pos rate {tr_y.mean():.3f}, valid pos rate {va_y.mean():.3f}, meta dim {tr_meta.shape[1]}")

model = build_model(tr_meta.shape[1])
model.compile(
    optimizer=keras.optimizers.Adam(CONFIG["lr"]),
    loss=BinaryFocalLoss(CONFIG["focal_gamma"], CONFIG["focal_alpha"], CONFIG["label_smoothing"]),
    metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
)
print("trainable params:", sum(int(np.prod(w.shape)) for w in model.trainable_weights))

steps = CONFIG["n_train"] // CONFIG["batch_size"]
history = model.fit(
    build_dataset(tr_img, tr_meta, tr_y, training=True),
    steps_per_epoch=min(steps, 4),
    epochs=1,
    validation_data=build_dataset(va_img, va_meta, va_y, training=False),
    callbacks=[keras.callbacks.LearningRateScheduler(cosine_lr)],
    verbose=2,
)

# TTA: average over a few augmented passes (aug layers active with training=True only on the aug submodel)
aug_layer = model.get_layer("aug")
tta_preds = []
for t in range(3):
    flipped = va_img[:, :, ::-1, :] if t % 2 else va_img
    tta_preds.append(model.predict({"image": flipped, "meta": va_meta}, batch_size=16, verbose=0).ravel())
tta = np.mean(tta_preds, axis=0)
print("aug layer sample output shape:", tuple(aug_layer(va_img[:2], training=True).shape))
print("TTA predictions:", np.round(tta[:8], 4))
print("val pos mean pred %.4f vs neg mean pred %.4f" % (tta[va_y == 1].mean(), tta[va_y == 0].mean()))
