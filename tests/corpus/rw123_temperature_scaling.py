# Post-hoc calibration with temperature scaling.
# Train a tiny CNN on synthetic 16x16 "shape" images, hold out a calibration
# split, learn a single scalar T on the held-out logits, report ECE before/after.

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 16
NUM_CLASSES = 4
N_PER_CLASS = 150
BATCH = 32
N_BINS = 10

np.random.seed(1)
tf.random.set_seed(1)


def draw_shape(kind, rng):
    img = np.zeros((IMG, IMG), np.float32)
    c = rng.integers(4, IMG - 4, size=2)
    s = rng.integers(2, 5)
    yy, xx = np.mgrid[:IMG, :IMG]
    if kind == 0:    # filled square
        img[c[0] - s:c[0] + s, c[1] - s:c[1] + s] = 1.0
    elif kind == 1:  # disk
        img[(yy - c[0]) ** 2 + (xx - c[1]) ** 2 <= s * s] = 1.0
    elif kind == 2:  # horizontal bar
        img[c[0], max(0, c[1] - 2 * s):c[1] + 2 * s] = 1.0
    else:            # vertical bar
        img[max(0, c[0] - 2 * s):c[0] + 2 * s, c[1]] = 1.0
    img += rng.normal(0, 0.35, img.shape)   # heavy noise so it isn't trivial
    return img


def build_dataset(rng):
    imgs, labels = [], []
    for k in range(NUM_CLASSES):
        imgs += [draw_shape(k, rng) for _ in range(N_PER_CLASS)]
        labels += [k] * N_PER_CLASS
    x = np.asarray(imgs, np.float32)[..., None]
    y = np.asarray(labels, np.int64)
    order = rng.permutation(len(y))
    return x[order], y[order]


def augment(img, label):
    img = tf.image.random_flip_left_right(img)
    img = img + tf.random.normal(tf.shape(img), stddev=0.05)
    return img, label


def logits_model():
    return keras.Sequential([
        keras.Input((IMG, IMG, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(32, activation="relu"),
        layers.Dense(NUM_CLASSES),          # raw logits, no softmax
    ], name="shape_cnn")


def expected_calibration_error(probs, labels, n_bins=N_BINS):
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)
    correct = (pred == labels).astype(np.float64)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    ece = 0.0
    rows = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (conf > lo) & (conf <= hi)
        if not in_bin.any():
            continue
        gap = abs(correct[in_bin].mean() - conf[in_bin].mean())
        ece += in_bin.mean() * gap
        rows.append((lo, hi, in_bin.sum(), conf[in_bin].mean(), correct[in_bin].mean()))
    return ece, rows


class TemperatureScaler(tf.Module):
    def __init__(self):
        super().__init__()
        # optimise log T so T stays positive
        self.log_t = tf.Variable(0.0, dtype=tf.float32, name="log_temperature")

    @property
    def temperature(self):
        return tf.exp(self.log_t)

    def __call__(self, logits):
        return logits / self.temperature

    def fit(self, logits, labels, steps=200, lr=0.05):
        logits = tf.convert_to_tensor(logits, tf.float32)
        labels = tf.convert_to_tensor(labels, tf.int64)
        opt = keras.optimizers.Adam(lr)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(
                    tf.nn.sparse_softmax_cross_entropy_with_logits(labels, self(logits)))
            grads = tape.gradient(loss, [self.log_t])
            opt.apply_gradients(zip(grads, [self.log_t]))
            return loss

        for i in range(steps):
            loss = step()
            if i % 50 == 0:
                print(f"  [T-fit] step {i:3d} nll={float(loss):.4f} T={float(self.temperature):.3f}")
        return self


def nll_np(probs, y):
    return -np.mean(np.log(probs[np.arange(len(y)), y] + 1e-12))


if __name__ == "__main__":
    rng = np.random.default_rng(1)
    x, y = build_dataset(rng)
    n = len(y)
    tr, cal = slice(0, int(0.6 * n)), slice(int(0.6 * n), int(0.8 * n))
    te = slice(int(0.8 * n), n)

    train_ds = (tf.data.Dataset.from_tensor_slices((x[tr], y[tr]))
                .shuffle(1024, seed=1)
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(BATCH)
                .prefetch(tf.data.AUTOTUNE))

    model = logits_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["sparse_categorical_accuracy"])
    model.fit(train_ds, epochs=2, verbose=2)

    cal_logits = model.predict(x[cal], verbose=0)
    test_logits = model.predict(x[te], verbose=0)

    scaler = TemperatureScaler().fit(cal_logits, y[cal])
    T = float(scaler.temperature)
    print(f"learned temperature T = {T:.3f}")

    p_before = tf.nn.softmax(test_logits).numpy()
    p_after = tf.nn.softmax(scaler(test_logits)).numpy()
    for name, p in [("uncalibrated", p_before), ("temp-scaled", p_after)]:
        ece, rows = expected_calibration_error(p, y[te])
        acc = np.mean(p.argmax(1) == y[te])
        print(f"{name:>13}: acc={acc:.3f} nll={nll_np(p, y[te]):.4f} ECE={ece:.4f} "
              f"mean conf={p.max(1).mean():.3f}")
    # accuracy is unchanged by T (argmax-invariant)
    assert np.array_equal(p_before.argmax(1), p_after.argmax(1))

    print("reliability table (after):")
    for lo, hi, cnt, c, a in expected_calibration_error(p_after, y[te])[1]:
        print(f"  ({lo:.1f},{hi:.1f}] n={cnt:3d} conf={c:.3f} acc={a:.3f}")
