"""Answer: concatenate a sequence input (batch, T, F) with a static vector (batch, D).

`Concatenate` needs all inputs to have the same rank, so "A `Concatenate` layer
requires inputs with matching shapes except for the concat axis" is what you get
if you just throw them together. Either repeat the vector over time, or
squash the sequence down first. Three variants below.
"""
import numpy as np
import keras
from keras import layers, ops

T, F, D = 12, 8, 5
BATCH = 16

seq_in = keras.Input(shape=(T, F), name="sequence")
static_in = keras.Input(shape=(D,), name="static")

# 1) RepeatVector: (batch, D) -> (batch, T, D), then concat on the last axis
rep = layers.RepeatVector(T)(static_in)
merged = layers.Concatenate(axis=-1)([seq_in, rep])          # (batch, T, F + D)
x = layers.LSTM(16)(merged)
out = layers.Dense(1, activation="sigmoid")(x)
model1 = keras.Model([seq_in, static_in], out, name="repeat_vector")
print(model1.name, merged.shape)


# 2) same idea without RepeatVector, e.g. when T is None (variable length)
class BroadcastConcat(layers.Layer):
    """Tile a (batch, D) tensor along the time axis of a (batch, T, F) tensor."""

    def call(self, inputs):
        seq, vec = inputs
        steps = ops.shape(seq)[1]
        vec = ops.expand_dims(vec, axis=1)                   # (batch, 1, D)
        vec = ops.repeat(vec, steps, axis=1)                 # (batch, T, D)
        return ops.concatenate([seq, vec], axis=-1)

    def compute_output_shape(self, input_shape):
        s, v = input_shape
        return (s[0], s[1], s[2] + v[-1])


var_seq = keras.Input(shape=(None, F))
var_static = keras.Input(shape=(D,))
y = BroadcastConcat()([var_seq, var_static])
y = layers.GRU(16)(y)
y = layers.Dense(1, activation="sigmoid")(y)
model2 = keras.Model([var_seq, var_static], y, name="broadcast_concat")
print(model2.name, model2.layers[2].output.shape)

# 3) reduce the sequence to a vector first, concat rank-2 tensors
enc = layers.LSTM(16)(seq_in)                                 # (batch, 16)
z = layers.Concatenate()([enc, static_in])                    # (batch, 16 + D)
z = layers.Dense(8, activation="relu")(z)
z = layers.Dense(1, activation="sigmoid")(z)
model3 = keras.Model([seq_in, static_in], z, name="encode_then_concat")

# dummy data
Xs = np.random.rand(64, T, F).astype("float32")
Xv = np.random.rand(64, D).astype("float32")
yy = np.random.randint(0, 2, size=(64, 1))

for m in (model1, model2, model3):
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    h = m.fit([Xs, Xv], yy, batch_size=BATCH, epochs=1, verbose=0)
    print(f"{m.name:20s} loss={h.history['loss'][-1]:.4f}")

# model2 also accepts a different T at inference time
print(model2.predict([np.random.rand(2, 30, F), np.random.rand(2, D)], verbose=0).shape)

# also: image feature map (batch, H, W, C) + vector -> tile over H and W
img = keras.Input(shape=(7, 7, 32))
cond = keras.Input(shape=(D,))
c = layers.Reshape((1, 1, D))(cond)
c = layers.UpSampling2D(size=(7, 7))(c)                      # (batch, 7, 7, D)
fm = layers.Concatenate()([img, c])
print("image + vector:", fm.shape)
