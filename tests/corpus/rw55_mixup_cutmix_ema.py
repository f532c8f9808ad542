"""MixUp / CutMix in tf.data + EMA of model weights + a soft-label accuracy metric.

Typical "Kaggle image classification" training recipe:
  * batch-level MixUp or CutMix (picked per-batch) inside the input pipeline
  * labels become soft (one-hot mixtures) -> CategoricalCrossentropy w/ label smoothing
  * an exponential moving average of the weights kept by a callback and swapped
    in for evaluation (Keras' built-in `use_ema=True` shown for comparison)
  * a custom metric that scores predictions against the *dominant* class of
    the mixed target
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = 32
NUM_CLASSES = 5
BATCH_SIZE = 32
AUTO = tf.data.AUTOTUNE
MIX_PROB = 0.5      # probability a batch uses CutMix instead of MixUp
ALPHA = 0.4         # Beta(alpha, alpha) for the mixing coefficient
EMA_DECAY = 0.99


# -----------------------------------------------------------------------------
# sampling helpers
# -----------------------------------------------------------------------------
def sample_beta_distribution(size, concentration_0=0.2, concentration_1=0.2):
    # Beta(a, b) = X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b)
    gamma_1_sample = tf.random.gamma(shape=[size], alpha=concentration_1)
    gamma_2_sample = tf.random.gamma(shape=[size], alpha=concentration_0)
    return gamma_1_sample / (gamma_1_sample + gamma_2_sample)


def mix_up(images, labels, alpha=ALPHA):
    batch_size = tf.shape(images)[0]
    lam = sample_beta_distribution(batch_size, alpha, alpha)
    perm = tf.random.shuffle(tf.range(batch_size))

    x_l = tf.reshape(lam, (batch_size, 1, 1, 1))
    y_l = tf.reshape(lam, (batch_size, 1))
    images = images * x_l + tf.gather(images, perm) * (1.0 - x_l)
    labels = labels * y_l + tf.gather(labels, perm) * (1.0 - y_l)
    return images, labels


def get_box(lam, size=IMG_SIZE):
    """Per-sample random box covering (1 - lam) of the image area."""
    cut_rat = tf.sqrt(1.0 - lam)                          # (B,)
    cut = tf.cast(cut_rat * size, tf.int32)
    cy = tf.random.uniform(tf.shape(lam), 0, size, dtype=tf.int32)
    cx = tf.random.uniform(tf.shape(lam), 0, size, dtype=tf.int32)
    y1 = tf.clip_by_value(cy - cut // 2, 0, size)
    y2 = tf.clip_by_value(cy + cut // 2, 0, size)
    x1 = tf.clip_by_value(cx - cut // 2, 0, size)
    x2 = tf.clip_by_value(cx + cut // 2, 0, size)
    return y1, y2, x1, x2


def cut_mix(images, labels, alpha=ALPHA):
    batch_size = tf.shape(images)[0]
    lam = sample_beta_distribution(batch_size, alpha, alpha)
    perm = tf.random.shuffle(tf.range(batch_size))
    y1, y2, x1, x2 = get_box(lam)

    # build a (B, H, W, 1) mask by broadcasting coordinate grids against box edges
    rows = tf.range(IMG_SIZE)[None, :, None]              # (1, H, 1)
    cols = tf.range(IMG_SIZE)[None, None, :]              # (1, 1, W)
    in_rows = (rows >= y1[:, None, None]) & (rows < y2[:, None, None])
    in_cols = (cols >= x1[:, None, None]) & (cols < x2[:, None, None])
    mask = tf.cast(in_rows & in_cols, images.dtype)[..., None]

    images = images * (1.0 - mask) + tf.gather(images, perm) * mask
    # recompute lambda from the actual pasted area (clipping can shrink the box)
    area = tf.cast((y2 - y1) * (x2 - x1), tf.float32)
    lam_adj = 1.0 - area / float(IMG_SIZE * IMG_SIZE)
    lam_adj = lam_adj[:, None]
    labels = labels * lam_adj + tf.gather(labels, perm) * (1.0 - lam_adj)
    return images, labels


def mix_batch(images, labels):
    # choose the augmentation per batch without a Python `if` on a tensor
    use_cutmix = tf.random.uniform([]) < MIX_PROB
    mx_i, mx_l = mix_up(images, labels)
    cm_i, cm_l = cut_mix(images, labels)
    images = tf.where(use_cutmix, cm_i, mx_i)
    labels = tf.where(use_cutmix, cm_l, mx_l)
    return images, labels


def preprocess(image, label):
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.random_flip_left_right(image)
    return image, tf.one_hot(label, NUM_CLASSES)


def build_datasets(n_train=320, n_val=96):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 256, size=(n_train + n_val, IMG_SIZE, IMG_SIZE, 3), dtype=np.uint8)
    y = rng.integers(0, NUM_CLASSES, size=(n_train + n_val,))
    x_train, y_train, x_val, y_val = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(n_train)
        .map(preprocess, num_parallel_calls=AUTO)
        .batch(BATCH_SIZE, drop_remainder=True)
        .map(mix_batch, num_parallel_calls=AUTO)
        .prefetch(AUTO)
    )
    val_ds = (
        tf.data.Dataset.from_tensor_slices((x_val, y_val))
        .map(lambda i, l: (tf.image.convert_image_dtype(i, tf.float32), tf.one_hot(l, NUM_CLASSES)))
        .batch(BATCH_SIZE)
        .prefetch(AUTO)
    )
    return train_ds, val_ds


# -----------------------------------------------------------------------------
# metric + EMA callback
# -----------------------------------------------------------------------------
class DominantClassAccuracy(keras.metrics.Metric):
    """Accuracy w.r.t. argmax of a (possibly mixed) soft target."""

    def __init__(self, name="dominant_acc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true_cls = tf.argmax(y_true, axis=-1)
        y_pred_cls = tf.argmax(y_pred, axis=-1)
        matches = tf.cast(tf.equal(y_true_cls, y_pred_cls), self.dtype)
        if sample_weight is not None:
            matches = matches * tf.cast(sample_weight, self.dtype)
        self.hits.assign_add(tf.reduce_sum(matches))
        self.count.assign_add(tf.cast(tf.shape(y_true)[0], self.dtype))

    def result(self):
        return tf.math.divide_no_nan(self.hits, self.count)

    def reset_state(self):
        for v in self.variables:
            v.assign(tf.zeros_like(v))


class EMAWeights(keras.callbacks.Callback):
    """Keeps shadow EMA copies of the trainable weights; swaps them in for validation."""

    def __init__(self, decay=0.999, warmup_steps=10):
        super().__init__()
        self.decay = decay
        self.warmup_steps = warmup_steps
        self.step = 0
        self.shadow = None
        self.backup = None

    def on_train_begin(self, logs=None):
        self.shadow = [tf.Variable(w, trainable=False) for w in self.model.trainable_weights]

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        # ramp the decay up early on, like timm's ModelEmaV2 / tfa's MovingAverage
        decay = min(self.decay, (1.0 + self.step) / (self.warmup_steps + self.step))
        for s, w in zip(self.shadow, self.model.trainable_weights):
            s.assign(decay * s + (1.0 - decay) * w)

    def swap_in(self):
        self.backup = [w.numpy() for w in self.model.trainable_weights]
        for s, w in zip(self.shadow, self.model.trainable_weights):
            w.assign(s)

    def swap_out(self):
        for b, w in zip(self.backup, self.model.trainable_weights):
            w.assign(b)

    def on_test_begin(self, logs=None):
        self.swap_in()

    def on_test_end(self, logs=None):
        self.swap_out()

    def on_train_end(self, logs=None):
        # leave the EMA weights in the model at the end of training
        self.swap_in()


def build_model():
    inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3))
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D()(x)
    x = layers.SeparableConv2D(64, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    # small squeeze-and-excitation gate
    se = layers.GlobalAveragePooling2D(keepdims=True)(x)
    se = layers.Conv2D(16, 1, activation="relu")(se)
    se = layers.Conv2D(64, 1, activation="sigmoid")(se)
    x = layers.Multiply()([x, se])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mix_cnn")


def main():
    train_ds, val_ds = build_datasets()
    imgs, lbls = next(iter(train_ds))
    print("mixed batch:", imgs.shape, lbls.shape, "label rows sum to 1:",
          bool(np.allclose(lbls.numpy().sum(axis=1), 1.0, atol=1e-5)))

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.AdamW(1e-3, weight_decay=0.05),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
        metrics=[DominantClassAccuracy(), keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
    )
    ema_cb = EMAWeights(decay=EMA_DECAY)
    model.fit(train_ds, validation_data=val_ds, epochs=1, callbacks=[ema_cb], verbose=2)
    print("EMA-weights eval:", model.evaluate(val_ds, verbose=0, return_dict=True))

    # same recipe with the optimizer's built-in EMA
    model2 = build_model()
    model2.compile(
        optimizer=keras.optimizers.Adam(1e-3, use_ema=True, ema_momentum=EMA_DECAY),
        loss="categorical_crossentropy",
        metrics=[DominantClassAccuracy()],
    )
    model2.fit(train_ds, epochs=1, verbose=0)
    model2.optimizer.finalize_variable_values(model2.trainable_variables)
    print("built-in EMA eval:", model2.evaluate(val_ds, verbose=0, return_dict=True))


if __name__ == "__main__":
    main()
