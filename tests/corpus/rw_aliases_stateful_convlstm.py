"""Module aliases (tfk / tfkl, TFP-style), stateful RNNs with batch_shape, ConvLSTM2D video model."""
import numpy as np
import tensorflow as tf
import tensorflow.keras as tfk

tfkl = tfk.layers
KM = tf.keras.models
Dense = tfkl.Dense

BATCH = 4
TIMESTEPS = 6
FEATURES = 3

# stateful LSTM: the batch size is part of the input spec
stateful = KM.Sequential([
    tfkl.Input(batch_shape=(BATCH, TIMESTEPS, FEATURES)),
    tfkl.LSTM(16, stateful=True, return_sequences=True),
    tfkl.LSTM(8, stateful=True),
    Dense(1),
])
stateful.compile(loss="mse", optimizer="adam")
xs = np.random.rand(BATCH * 2, TIMESTEPS, FEATURES).astype("float32")
ys = np.random.rand(BATCH * 2, 1).astype("float32")
stateful.fit(xs, ys, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
stateful.layers[0].reset_states()

# next-frame prediction with ConvLSTM2D
frames = tfkl.Input(shape=(None, 16, 16, 1))
h = tfkl.ConvLSTM2D(filters=8, kernel_size=(3, 3), padding="same", return_sequences=True)(frames)
h = tfkl.BatchNormalization()(h)
h = tfkl.ConvLSTM2D(filters=8, kernel_size=(3, 3), padding="same", return_sequences=True)(h)
next_frames = tfkl.Conv3D(filters=1, kernel_size=(3, 3, 3), activation="sigmoid", padding="same")(h)
seq_model = tfk.Model(frames, next_frames)
video = np.random.rand(2, 5, 16, 16, 1).astype("float32")
pred_frames = seq_model(video)

# TimeDistributed CNN over video clips + GRU
clip = tfk.Input(shape=(8, 32, 32, 3))
cnn = tfk.Sequential([
    tfkl.Conv2D(8, 3, activation="relu"),
    tfkl.MaxPool2D(),
    tfkl.Conv2D(16, 3, activation="relu"),
    tfkl.GlobalAveragePooling2D(),
])
t = tfkl.TimeDistributed(cnn)(clip)
t = tfkl.GRU(12)(t)
action = Dense(5, activation="softmax")(t)
clf = tfk.Model(clip, action)
clip_pred = clf(np.zeros((1, 8, 32, 32, 3), "float32"))
