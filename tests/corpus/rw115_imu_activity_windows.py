"""
Human-activity recognition from a synthetic 3-axis accelerometer stream.

- one long continuous stream per subject, activity changes every few seconds
- tf.data.Dataset.window() + flat_map to cut sliding windows, label = majority label
- two-branch model: Conv1D/GRU on the raw window + Dense on |rfft| band energies
  (spectrum computed inside the map function with tf.signal.rfft)
"""
import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers

FS = 50                       # Hz
WINDOW = 128                  # 2.56 s, the classic UCI-HAR window
STRIDE = 64                   # 50 % overlap
N_BANDS = 16
ACTIVITIES = ["sitting", "walking", "running", "stairs"]
SEGMENT_SEC = (6, 12)
N_SUBJECTS = 6
SUBJECT_SEC = 150

rs = np.random.RandomState(5)
keras.utils.set_random_seed(5)


class StreamSimulator:
    """Produces (n, 3) accelerometer samples + per-sample activity ids."""

    params = {  # step frequency (Hz), vertical amplitude (g), lateral amplitude
        "sitting": (0.0, 0.00, 0.00),
        "walking": (1.8, 0.35, 0.15),
        "running": (2.8, 0.90, 0.35),
        "stairs": (1.4, 0.55, 0.25),
    }

    def __init__(self, fs=FS, noise=0.03):
        self.fs = fs
        self.noise = noise

    def segment(self, activity, seconds):
        n = int(seconds * self.fs)
        t = np.arange(n) / self.fs
        f, av, al = self.params[activity]
        f *= rs.uniform(0.9, 1.1)
        phase = rs.uniform(0, 2 * np.pi)
        x = al * np.sin(2 * np.pi * f * t + phase)
        y = 0.5 * al * np.sin(2 * np.pi * 2 * f * t)
        z = 1.0 + av * np.abs(np.sin(np.pi * f * t + phase))  # gravity + impacts
        if activity == "sitting":
            z = z + 0.05 * np.sin(2 * np.pi * 0.2 * t)   # slow posture drift
        sig = np.stack([x, y, z], axis=-1) + rs.normal(0, self.noise, (n, 3))
        return sig

    def stream(self, seconds):
        sigs, labs, total = [], [], 0.0
        while total < seconds:
            act = rs.randint(len(ACTIVITIES))
            dur = rs.uniform(*SEGMENT_SEC)
            s = self.segment(ACTIVITIES[act], dur)
            sigs.append(s)
            labs.append(np.full(len(s), act))
            total += dur
        return np.concatenate(sigs).astype("float32"), np.concatenate(labs).astype("int32")


sim = StreamSimulator()
streams = [sim.stream(SUBJECT_SEC) for _ in range(N_SUBJECTS)]
print("samples per subject:", [len(s) for s, _ in streams])


def band_energies(window):
    """window: (WINDOW, 3) -> (3 * N_BANDS,) log band energies of the rfft magnitude."""
    centred = window - tf.reduce_mean(window, axis=0, keepdims=True)
    spec = tf.abs(tf.signal.rfft(tf.transpose(centred)))          # (3, WINDOW//2+1)
    usable = (WINDOW // 2) // N_BANDS * N_BANDS                 # drop DC, keep whole bands
    spec = spec[:, 1:1 + usable]
    bands = tf.reduce_sum(tf.reshape(spec, (3, N_BANDS, -1)) ** 2, axis=-1)
    return tf.reshape(tf.math.log1p(bands), (-1,))


def majority(labels):
    counts = tf.math.bincount(labels, minlength=len(ACTIVITIES))
    return tf.cast(tf.argmax(counts), tf.int32)


def windows_from_stream(signal, labels):
    ds = tf.data.Dataset.from_tensor_slices((signal, labels))
    ds = ds.window(WINDOW, shift=STRIDE, drop_remainder=True)
    ds = ds.flat_map(lambda s, l: tf.data.Dataset.zip((s.batch(WINDOW), l.batch(WINDOW))))

    def to_example(s, l):
        s = tf.ensure_shape(s, (WINDOW, 3))   # batch() inside flat_map loses the static shape
        return {"raw": s, "spectrum": band_energies(s)}, majority(l)

    return ds.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)


def subject_dataset(subject_ids, training):
    parts = [windows_from_stream(*streams[i]) for i in subject_ids]
    ds = parts[0]
    for p in parts[1:]:
        ds = ds.concatenate(p)
    ds = ds.cache()
    if training:
        ds = ds.shuffle(2000, seed=5)
    return ds.batch(32).prefetch(tf.data.AUTOTUNE)


train_ds = subject_dataset(range(N_SUBJECTS - 1), training=True)
test_ds = subject_dataset([N_SUBJECTS - 1], training=False)   # leave-one-subject-out

# label histogram of the training windows (tiny data, fine to iterate eagerly)
train_labels = np.concatenate([y.numpy() for _, y in train_ds])
print("train windows per activity:",
      {a: int(c) for a, c in zip(ACTIVITIES, np.bincount(train_labels, minlength=len(ACTIVITIES)))})


def build_model():
    raw_in = keras.Input((WINDOW, 3), name="raw")
    spec_in = keras.Input((3 * N_BANDS,), name="spectrum")

    x = raw_in
    for f, k in [(32, 7), (32, 5), (64, 3)]:
        x = layers.Conv1D(f, k, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GRU(32)(x)

    s = layers.BatchNormalization()(spec_in)
    s = layers.Dense(32, activation="relu")(s)

    h = layers.Concatenate()([x, s])
    h = layers.Dropout(0.3)(h)
    h = layers.Dense(32, activation="relu")(h)
    out = layers.Dense(len(ACTIVITIES), activation="softmax", name="activity")(h)
    return keras.Model([raw_in, spec_in], out, name="har_two_branch")


model = build_model()
model.compile(
    optimizer=keras.optimizers.RMSprop(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy("acc")],
)
model.summary(expand_nested=False, show_trainable=True)
model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)

# per-class recall on the held-out subject
y_true, y_pred = [], []
for feats, y in test_ds:
    y_true.append(y.numpy())
    y_pred.append(model.predict_on_batch(feats).argmax(-1))
y_true, y_pred = np.concatenate(y_true), np.concatenate(y_pred)
for i, name in enumerate(ACTIVITIES):
    sel = y_true == i
    if sel.any():
        print(f"{name:>8s}: recall {np.mean(y_pred[sel] == i):.2f}  (n={sel.sum()})")
print(f"overall held-out accuracy: {np.mean(y_true == y_pred):.3f}")
