# Reshape / Lambda / expand_dims tricks from StackOverflow answers
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import (Input, Dense, Reshape, Lambda, Conv1D, LSTM, Flatten,
                                     Permute, RepeatVector, GlobalMaxPool1D, Conv2D)
from tensorflow.keras.models import Model

n_features = 20

inp = Input(shape=(n_features,))
# "how do I feed a Dense output into Conv1D?"  -> Reshape((-1, 1))
x = Reshape((-1, 1))(inp)
x = Conv1D(8, 3, activation='relu')(x)
x = Lambda(lambda t: tf.expand_dims(t, axis=-1))(x)
x = Conv2D(4, (3, 3))(x)
x = Lambda(lambda t: tf.squeeze(t, axis=2), name="drop_axis")(Conv2D(1, (1, 6))(x))
x = Permute((2, 1))(x)
x = LSTM(6, return_sequences=True)(x)
x = GlobalMaxPool1D()(x)
x = Dense(1)(x)
model = Model(inp, x)
model.compile(loss='mse', optimizer='adam')
model.fit(np.random.rand(16, n_features), np.random.rand(16, 1), batch_size=16, epochs=1, verbose=0)

# vector -> sequence for an LSTM decoder
vec_in = Input(shape=(16,))
rep = RepeatVector(5)(vec_in)
seq = LSTM(8, return_sequences=True)(rep)
flat = Flatten()(seq)
rs = Reshape((5, 8, 1))(flat)
summed = Lambda(lambda t: tf.reduce_sum(t, axis=[2, 3]))(rs)
scaled = Lambda(lambda t, s=2.0: t * s)(summed)
norm = Lambda(lambda t: tf.math.l2_normalize(t, axis=1))(vec_in)
trans = Lambda(lambda t: tf.transpose(t, perm=[0, 2, 1]))(seq)
m2 = Model(vec_in, [scaled, norm, trans])
outs = m2(np.ones((2, 16), dtype='float32'))
