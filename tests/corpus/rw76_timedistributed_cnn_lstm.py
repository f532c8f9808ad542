"""Answer: CNN + LSTM on video clips, input shape (batch, frames, H, W, C).

Conv2D only takes 4D input, so either wrap the CNN in TimeDistributed, or
fold the time axis into the batch axis yourself, run the CNN, and unfold.
Both give (batch, frames, features) which an LSTM can consume.
"""
import numpy as np
import keras
from keras import layers, ops

FRAMES, H, W, C = 8, 24, 24, 3
NUM_CLASSES = 4

rng = np.random.default_rng(7)
clips = rng.random((32, FRAMES, H, W, C), dtype=np.float32)
labels = keras.utils.to_categorical(rng.integers(0, NUM_CLASSES, 32), NUM_CLASSES)


def frame_encoder():
    return keras.Sequential([
        keras.Input((H, W, C)),
        layers.Conv2D(8, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Flatten(),                        # (6*6*16,) = 576
        layers.Dense(32, activation="relu"),
    ], name="frame_encoder")


# --- way 1: TimeDistributed ----------------------------------------------------
inp = keras.Input(shape=(FRAMES, H, W, C))
feats = layers.TimeDistributed(frame_encoder())(inp)      # (batch, FRAMES, 32)
x = layers.LSTM(32)(feats)
out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
td_model = keras.Model(inp, out)
td_model.summary()


# --- way 2: fold frames into batch ---------------------------------------------
class FoldTime(layers.Layer):
    """Runs a per-frame model on (B, T, ...) by reshaping to (B*T, ...)."""

    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def build(self, input_shape):
        self.inner.build((None,) + tuple(input_shape[2:]))

    def call(self, x):
        b = ops.shape(x)[0]
        t = ops.shape(x)[1]
        flat = ops.reshape(x, (-1,) + tuple(x.shape[2:]))     # (B*T, H, W, C)
        y = self.inner(flat)                                   # (B*T, F)
        return ops.reshape(y, (b, t, y.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.inner.output_shape[-1])


inp2 = keras.Input(shape=(None, H, W, C))   # variable number of frames
f2 = FoldTime(frame_encoder())(inp2)
x2 = layers.GRU(32)(f2)
out2 = layers.Dense(NUM_CLASSES, activation="softmax")(x2)
fold_model = keras.Model(inp2, out2)
print("fold model features:", f2.shape)

for name, m in [("timedistributed", td_model), ("fold", fold_model)]:
    m.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    m.fit(clips, labels, batch_size=8, epochs=1, verbose=0)
    print(name, "->", m.predict(clips[:2], verbose=0).shape)

# fold model works with a different number of frames at inference
print("12 frames:", fold_model.predict(clips[:2, :4].repeat(3, axis=1), verbose=0).shape)

# --- bonus: the related "Conv1D expects 3D" question ----------------------------
# sensor data (samples, 128) -> (samples, 128, 1) before Conv1D
signals = rng.normal(size=(64, 128)).astype("float32")
signals = signals[..., None]
conv1d = keras.Sequential([
    keras.Input((128, 1)),
    layers.Conv1D(16, 5, strides=2, activation="relu"),   # (62, 16)
    layers.Conv1D(16, 5, strides=2, activation="relu"),   # (29, 16)
    layers.LSTM(8),
    layers.Dense(1),
])
conv1d.compile("adam", "mse")
conv1d.fit(signals, rng.normal(size=(64, 1)), epochs=1, verbose=0)
print("conv1d shapes:", [tuple(l.output.shape) for l in conv1d.layers])
