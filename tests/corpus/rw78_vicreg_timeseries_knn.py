"""VICReg for multivariate time series + weighted kNN monitor.

Self-supervised pre-training of a 1D-CNN encoder on (synthetic) sensor windows
with the VICReg objective (Variance-Invariance-Covariance Regularization,
Bardes et al. 2022). A Keras callback evaluates the frozen embeddings with a
weighted k-NN classifier at the end of every epoch, the way most SSL repos
track progress without training a linear head.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ---- constants ---------------------------------------------------------------
WINDOW = 128
CHANNELS = 6          # e.g. 3-axis accel + 3-axis gyro
N_CLASSES = 5
N_TRAIN, N_TEST = 320, 80
BATCH = 64
EMBED_DIM = 64
EXPANDER_DIM = 256
SIM_COEFF, STD_COEFF, COV_COEFF = 25.0, 25.0, 1.0
KNN_K, KNN_T = 10, 0.07
EPOCHS = 2


def synth_activity_data(n, seed):
    """Each 'activity' is a different mixture of sinusoids with per-channel phase."""
    rng = np.random.default_rng(seed)
    t = np.arange(WINDOW, dtype=np.float32) / WINDOW
    labels = rng.integers(0, N_CLASSES, size=n)
    x = np.empty((n, WINDOW, CHANNELS), dtype=np.float32)
    for i, c in enumerate(labels):
        base_f = 2.0 + 3.0 * c
        phases = rng.uniform(0, 2 * np.pi, size=CHANNELS)
        amp = rng.uniform(0.5, 1.5, size=CHANNELS)
        x[i] = amp * np.sin(2 * np.pi * base_f * t[:, None] + phases)
        x[i] += 0.3 * np.sin(2 * np.pi * (base_f * 2.7) * t[:, None])
        x[i] += rng.normal(0, 0.2, size=(WINDOW, CHANNELS))
    return x, labels.astype("int32")


# ---- augmentations (pure tf ops, safe in Dataset.map) --------------------------
def jitter(x, sigma=0.1):
    return x + tf.random.normal(tf.shape(x), stddev=sigma)


def scaling(x, sigma=0.2):
    factor = tf.random.normal((1, CHANNELS), mean=1.0, stddev=sigma)
    return x * factor


def time_mask(x, max_frac=0.2):
    length = tf.random.uniform([], 1, int(WINDOW * max_frac), dtype=tf.int32)
    start = tf.random.uniform([], 0, WINDOW - length, dtype=tf.int32)
    idx = tf.range(WINDOW)
    keep = tf.logical_or(idx < start, idx >= start + length)
    return x * tf.cast(keep, x.dtype)[:, None]


def crop_and_resize(x, min_frac=0.6):
    crop_len = tf.cast(
        tf.random.uniform([], min_frac, 1.0) * WINDOW, tf.int32)
    start = tf.random.uniform([], 0, WINDOW - crop_len + 1, dtype=tf.int32)
    cropped = x[start:start + crop_len]
    # treat the series as a (T, 1) "image" with C channels to reuse tf.image.resize
    resized = tf.image.resize(cropped[:, None, :], (WINDOW, 1))
    return tf.squeeze(resized, axis=1)


def channel_permute_sign(x):
    sign = tf.where(tf.random.uniform((CHANNELS,)) < 0.5, -1.0, 1.0)
    return x * sign


def augment(x):
    x = crop_and_resize(x)
    x = scaling(jitter(x))
    x = time_mask(x)
    x = channel_permute_sign(x)
    x.set_shape((WINDOW, CHANNELS))
    return x


def pair_views(x, _label):
    return augment(x), augment(x)


# ---- model ---------------------------------------------------------------------
def conv_block(x, filters, kernel, dilation):
    y = layers.Conv1D(filters, kernel, padding="same", dilation_rate=dilation)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("gelu")(y)
    if x.shape[-1] != filters:
        x = layers.Conv1D(filters, 1)(x)
    return layers.add([x, y])


def build_encoder():
    inp = keras.Input((WINDOW, CHANNELS), name="signal")
    x = layers.Conv1D(32, 7, padding="same")(inp)
    for i, f in enumerate([32, 64, 64]):
        x = conv_block(x, f, kernel=5, dilation=2 ** i)
        x = layers.MaxPooling1D(2)(x)
    # concat of mean + max pooling is a common trick for sensor data
    x = layers.Concatenate()([layers.GlobalAveragePooling1D()(x), layers.GlobalMaxPooling1D()(x)])
    out = layers.Dense(EMBED_DIM, name="embedding")(x)
    return keras.Model(inp, out, name="ts_encoder")


def build_expander():
    return keras.Sequential([
        layers.Dense(EXPANDER_DIM), layers.BatchNormalization(), layers.ReLU(),
        layers.Dense(EXPANDER_DIM), layers.BatchNormalization(), layers.ReLU(),
        layers.Dense(EXPANDER_DIM),
    ], name="expander")


def off_diagonal(m):
    d = tf.shape(m)[0]
    return tf.boolean_mask(m, tf.logical_not(tf.eye(d, dtype=tf.bool)))


def vicreg_loss(z_a, z_b):
    n = tf.cast(tf.shape(z_a)[0], tf.float32)
    d = tf.cast(tf.shape(z_a)[1], tf.float32)

    # invariance
    repr_loss = tf.reduce_mean(tf.square(z_a - z_b))

    # variance
    z_a = z_a - tf.reduce_mean(z_a, axis=0)
    z_b = z_b - tf.reduce_mean(z_b, axis=0)
    std_a = tf.sqrt(tf.math.reduce_variance(z_a, axis=0) + 1e-4)
    std_b = tf.sqrt(tf.math.reduce_variance(z_b, axis=0) + 1e-4)
    std_loss = 0.5 * (tf.reduce_mean(tf.nn.relu(1.0 - std_a))
                      + tf.reduce_mean(tf.nn.relu(1.0 - std_b)))

    # covariance
    cov_a = tf.matmul(z_a, z_a, transpose_a=True) / (n - 1.0)
    cov_b = tf.matmul(z_b, z_b, transpose_a=True) / (n - 1.0)
    cov_loss = (tf.reduce_sum(tf.square(off_diagonal(cov_a))) / d
                + tf.reduce_sum(tf.square(off_diagonal(cov_b))) / d)

    total = SIM_COEFF * repr_loss + STD_COEFF * std_loss + COV_COEFF * cov_loss
    return total, repr_loss, std_loss, cov_loss


class VICReg(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.encoder = build_encoder()
        self.expander = build_expander()
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "inv", "var", "cov")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        return self.expander(self.encoder(x, training=training), training=training)

    def train_step(self, data):
        x_a, x_b = data
        with tf.GradientTape() as tape:
            z_a = self(x_a, training=True)
            z_b = self(x_b, training=True)
            loss, inv, var, cov = vicreg_loss(z_a, z_b)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for name, value in zip(("loss", "inv", "var", "cov"), (loss, inv, var, cov)):
            self.trackers[name].update_state(value)
        return {k: m.result() for k, m in self.trackers.items()}


class KNNMonitor(keras.callbacks.Callback):
    """Weighted kNN (InstDisc / DINO style) on L2-normalised encoder features."""

    def __init__(self, train_data, test_data, k=KNN_K, temperature=KNN_T):
        super().__init__()
        self.x_train, self.y_train = train_data
        self.x_test, self.y_test = test_data
        self.k, self.t = k, temperature

    def _features(self, x):
        f = self.model.encoder.predict(x, batch_size=BATCH, verbose=0)
        return tf.math.l2_normalize(f, axis=1)

    def on_epoch_end(self, epoch, logs=None):
        bank = self._features(self.x_train)                   # (N, D)
        queries = self._features(self.x_test)                 # (M, D)
        sim = tf.matmul(queries, bank, transpose_b=True)      # (M, N)
        top_sim, top_idx = tf.math.top_k(sim, k=self.k)       # (M, k)
        neighbour_labels = tf.gather(self.y_train, top_idx)   # (M, k)
        weights = tf.exp(top_sim / self.t)
        votes = tf.reduce_sum(
            tf.one_hot(neighbour_labels, N_CLASSES) * weights[..., None], axis=1
        )                                                     # (M, C)
        pred = tf.argmax(votes, axis=1, output_type=tf.int32)
        acc = tf.reduce_mean(tf.cast(tf.equal(pred, self.y_test), tf.float32))
        if logs is not None:
            logs["knn_acc"] = float(acc)
        print(f"  [kNN k={self.k}] epoch {epoch + 1}: top-1 = {float(acc):.3f}")


def main():
    x_train, y_train = synth_activity_data(N_TRAIN, seed=0)
    x_test, y_test = synth_activity_data(N_TEST, seed=1)
    print("train windows:", x_train.shape, "class counts:", np.bincount(y_train))

    pretrain_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(N_TRAIN, reshuffle_each_iteration=True)
        .map(pair_views, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    a, b = next(iter(pretrain_ds))
    print("view batch:", a.shape, b.shape)

    model = VICReg()
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model(a[:2])
    model.encoder.summary(line_length=100)

    knn = KNNMonitor((x_train, y_train), (x_test, y_test))
    history = model.fit(pretrain_ds, epochs=EPOCHS, callbacks=[knn], verbose=2)
    print({k: round(v[-1], 4) for k, v in history.history.items()})


if __name__ == "__main__":
    main()
