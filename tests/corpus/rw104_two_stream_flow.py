# Two-stream video net: an appearance (RGB) stream looks at one frame, a
# motion stream looks at a stack of "flow-like" maps. We don't have real
# optical flow, so the motion input is built from temporal frame differences
# and a crude gradient-based flow estimate computed in numpy.
# Late fusion: weighted average of the two streams' logits, fusion weight learned.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 32
T = 7                # frames per clip -> T-1 motion maps
N_CLASSES = 3        # 0: static texture, 1: translating texture, 2: flickering texture
N_CLIPS = 210
BATCH_SIZE = 16

rs = np.random.RandomState(2024)


def texture(size=IMG):
    base = rs.rand(size // 4, size // 4, 3)
    return np.kron(base, np.ones((4, 4, 1))).astype("float32")


def make_clip(label):
    tex = texture()
    frames = []
    for t in range(T):
        if label == 0:
            f = tex
        elif label == 1:
            f = np.roll(tex, shift=t * 2, axis=1)
        else:
            f = tex * (0.6 + 0.4 * (t % 2))
        frames.append(f + rs.normal(0, 0.03, f.shape))
    return np.clip(np.stack(frames), 0, 1).astype("float32")


def to_gray(frames):
    return frames @ np.array([0.299, 0.587, 0.114], dtype="float32")


def flow_like(frames, eps=1e-3):
    """Lucas-Kanade-ish normal flow: u ~ -It * Ix / (Ix^2 + Iy^2 + eps).
    Returns (T-1, H, W, 2) with (u, v) channels."""
    g = to_gray(frames)
    It = g[1:] - g[:-1]
    Iy, Ix = np.gradient(g[:-1], axis=(1, 2))
    mag = Ix ** 2 + Iy ** 2 + eps
    u = -It * Ix / mag
    v = -It * Iy / mag
    return np.clip(np.stack([u, v], axis=-1), -3, 3).astype("float32")


def build_data(n):
    labels = rs.randint(0, N_CLASSES, n)
    rgb, motion = [], []
    for lab in labels:
        clip = make_clip(lab)
        rgb.append(clip[T // 2])                         # middle frame for the spatial stream
        fl = flow_like(clip)                             # (T-1, H, W, 2)
        motion.append(np.concatenate(list(fl), axis=-1))  # stack along channels -> (H, W, 2(T-1))
    return np.array(rgb), np.array(motion), labels.astype("int32")


class FrameStandardize(layers.Layer):
    """Per-sample zero mean / unit variance, computed over H, W, C."""

    def call(self, x):
        mean, var = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
        return (x - mean) / tf.sqrt(var + 1e-5)


class LearnedLateFusion(layers.Layer):
    def build(self, input_shape):
        self.alpha = self.add_weight(name="alpha", shape=(), initializer="zeros", trainable=True)

    def call(self, inputs):
        spatial, temporal = inputs
        w = tf.sigmoid(self.alpha)
        return w * spatial + (1.0 - w) * temporal


def stream(inp, name, widths=(16, 32, 64)):
    x = FrameStandardize(name=f"{name}_std")(inp)
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, padding="same", name=f"{name}_c{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.ReLU(name=f"{name}_r{i}")(x)
        if i < len(widths) - 1:
            x = layers.MaxPooling2D(name=f"{name}_p{i}")(x)
    x = layers.GlobalAveragePooling2D(name=f"{name}_gap")(x)
    x = layers.Dropout(0.3, name=f"{name}_drop")(x)
    return layers.Dense(N_CLASSES, name=f"{name}_logits")(x)


rgb_in = keras.Input((IMG, IMG, 3), name="rgb")
flow_in = keras.Input((IMG, IMG, 2 * (T - 1)), name="flow")
spatial_logits = stream(rgb_in, "spatial")
temporal_logits = stream(flow_in, "temporal")
fused = LearnedLateFusion(name="fusion")([spatial_logits, temporal_logits])
probs = layers.Softmax(name="probs")(fused)
model = keras.Model({"rgb": rgb_in, "flow": flow_in}, probs, name="two_stream")

rgb, motion, y = build_data(N_CLIPS)
print(f"rgb {rgb.shape}  motion {motion.shape}  labels {np.bincount(y)}")
n_tr = 168

train_ds = (
    tf.data.Dataset.from_tensor_slices(({"rgb": rgb[:n_tr], "flow": motion[:n_tr]}, y[:n_tr]))
    .shuffle(n_tr, seed=1)
    .batch(BATCH_SIZE)
    .prefetch(2)
)
val_ds = tf.data.Dataset.from_tensor_slices(({"rgb": rgb[n_tr:], "flow": motion[n_tr:]}, y[n_tr:])).batch(BATCH_SIZE)

model.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

w = float(tf.sigmoid(model.get_layer("fusion").alpha))
print(f"learned fusion weight: spatial={w:.3f} temporal={1 - w:.3f}")

# which stream is doing the work? evaluate each branch on its own
spatial_only = keras.Model(model.inputs, layers.Softmax()(spatial_logits))
temporal_only = keras.Model(model.inputs, layers.Softmax()(temporal_logits))
for name, m in [("spatial", spatial_only), ("temporal", temporal_only), ("fused", model)]:
    p = m.predict(val_ds, verbose=0)
    print(f"{name:9s} val acc: {np.mean(p.argmax(-1) == y[n_tr:]):.3f}")
