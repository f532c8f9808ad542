# Spectrogram -> CNN -> LSTM. The trick was the Permute + Reshape between
# the conv stack and the LSTM so time stays on axis 1.
# Also uses a few Lambda layers (split channels, last timestep) that I found in SO answers.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.layers import (Conv2D, MaxPooling2D, Permute, Reshape, LSTM,
                                     Dense, Lambda, Concatenate, BatchNormalization, Input)
from keras import ops

N_MELS = 32      # frequency bins
N_STEPS = 40     # time frames
N_CLASSES = 3

np.random.seed(7)
X = np.random.randn(20, N_MELS, N_STEPS, 2).astype("float32")   # 2 channels: magnitude + delta
y = np.random.randint(0, N_CLASSES, size=20)


def split_channels(t):
    # returns a list -> Lambda layer with two outputs
    return [t[..., 0:1], t[..., 1:2]]


def conv_branch(x, name):
    x = Conv2D(16, (3, 3), padding="same", activation="relu", name=f"{name}_conv1")(x)
    x = BatchNormalization(name=f"{name}_bn")(x)
    x = MaxPooling2D(pool_size=(2, 1), name=f"{name}_pool")(x)   # only pool frequency
    return x


inputs = Input(shape=(N_MELS, N_STEPS, 2))
mag, delta = Lambda(split_channels, name="split")(inputs)

a = conv_branch(mag, "mag")
b = conv_branch(delta, "delta")
x = Concatenate(axis=-1)([a, b])
x = Conv2D(32, (3, 3), padding="same", activation="relu")(x)
x = MaxPooling2D(pool_size=(2, 1))(x)

# (batch, freq, time, ch) -> (batch, time, freq, ch) -> (batch, time, freq*ch)
x = Permute((2, 1, 3))(x)
freq_after = N_MELS // 4
x = Reshape((N_STEPS, freq_after * 32))(x)

x = LSTM(48, return_sequences=True)(x)
# only keep last timestep, like return_sequences=False but I also want the mean
last = Lambda(lambda t: t[:, -1, :], name="last_step")(x)
avg = Lambda(lambda t: ops.mean(t, axis=1), name="mean_step")(x)
x = Concatenate()([last, avg])
outputs = Dense(N_CLASSES, activation="softmax")(x)

model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print("output shape:", model.output_shape)
model.fit(X, y, batch_size=5, epochs=1, verbose=2)


# second question: my Dense output is (batch,) but the next Conv1D wants a channel axis
class ExpandAndScale(keras.layers.Layer):
    def __init__(self, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.scale = scale

    def call(self, x):
        return tf.expand_dims(x, axis=-1) * self.scale

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"scale": self.scale})
        return cfg


seq_in = keras.Input(shape=(N_STEPS,))
h = Dense(N_STEPS, activation="tanh")(seq_in)
h = ExpandAndScale(scale=0.5)(h)
h = keras.layers.Conv1D(8, 5, padding="causal", activation="relu")(h)
h = Lambda(lambda t: tf.reduce_max(t, axis=1))(h)
small_out = Dense(1)(h)
small = keras.Model(seq_in, small_out, name="expand_dims_fix")
small.compile("rmsprop", "mse")
small.fit(np.random.rand(16, N_STEPS), np.random.rand(16, 1), epochs=1, batch_size=8, verbose=0)

sample = X[3]
probs = model.predict(sample[None], verbose=0)[0]
print("probs:", np.round(probs, 3), "| small model ->", small.predict(np.zeros((1, N_STEPS)), verbose=0).shape)
