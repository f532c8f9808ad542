"""Assorted layers: channels_first convs, merge layers, activations and regularized Dense."""

import keras
from keras import layers, regularizers

img = keras.Input(shape=(3, 32, 32))
x = layers.Conv2D(8, 3, padding="same", data_format="channels_first")(img)
x = layers.MaxPooling2D(2, data_format="channels_first")(x)
x = layers.Conv2D(16, 3, strides=2, data_format="channels_first")(x)
gap = layers.GlobalAveragePooling2D(data_format="channels_first")(x)

vec = keras.Input(shape=(16,))
a = layers.Dense(16, kernel_regularizer=regularizers.l2(1e-4))(vec)
b = layers.Dense(16, activation="tanh")(vec)
avg = layers.Average()([a, b, gap])
mx = layers.Maximum()([a, b])
mn = layers.minimum([a, b])
prod = layers.multiply([a, b])
act = layers.PReLU()(avg)
act = layers.ELU()(act)
act = layers.Softmax()(act)
merged = layers.Concatenate(axis=-1)([act, mx, mn, prod])
ident = layers.Identity()(merged)
out = layers.Dense(4, activity_regularizer=regularizers.l1(1e-5))(ident)

model = keras.Model([img, vec], out)
model.compile(optimizer="adam", loss="mse")
model.summary()  # no fit: TF's CPU kernels have no channels_first (NCHW) convolution

tokens = keras.Input(shape=(10,), dtype="int32")
emb = layers.Embedding(100, 8)(tokens)
flat = layers.Flatten()(emb)
gp = layers.GlobalMaxPooling1D(keepdims=True)(emb)
c1 = layers.Cropping1D(cropping=(1, 2))(emb)
zp = layers.ZeroPadding1D(padding=3)(emb)
up = layers.UpSampling1D(size=2)(emb)
