"""Wide & deep model with two inputs, an auxiliary output and per-output losses."""

import numpy as np
from tensorflow import keras
from tensorflow.keras.layers import Concatenate, Dense, Input

n_wide, n_deep = 5, 6

X_wide = np.random.rand(64, n_wide).astype("float32")
X_deep = np.random.rand(64, n_deep).astype("float32")
y_main = np.random.rand(64, 1).astype("float32")
y_aux = np.random.rand(64, 1).astype("float32")

input_wide = Input(shape=[n_wide], name="wide_input")
input_deep = Input(shape=[n_deep], name="deep_input")
hidden1 = Dense(30, activation="relu")(input_deep)
hidden2 = Dense(30, activation="relu")(hidden1)
concat = Concatenate()([input_wide, hidden2])
output = Dense(1, name="main_output")(concat)
aux_output = Dense(1, name="aux_output")(hidden2)
model = keras.Model(inputs=[input_wide, input_deep], outputs=[output, aux_output])

model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer="sgd")
model.fit((X_wide, X_deep), (y_main, y_aux), epochs=1, batch_size=32, verbose=0)
y_pred_main, y_pred_aux = model.predict((X_wide[:3], X_deep[:3]), verbose=0)
