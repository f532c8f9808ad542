"""Next-frame prediction with ConvLSTM2D on moving squares.

Shapes were the whole problem here: targets are the input sequence shifted by one
frame, and the loss gets the target flattened because of how I stored it on disk.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

cfg = {
    "n_samples": 16,
    "n_frames": 6,
    "size": 24,
    "filters": 16,
    "batch_size": 4,
    "lr": 1e-3,
}


def generate_movies(n_samples, n_frames, size, seed=42):
    rng = np.random.RandomState(seed)
    movies = np.zeros((n_samples, n_frames + 1, size, size, 1), dtype="float32")
    for i in range(n_samples):
        x, y = rng.randint(2, size - 6, size=2)
        dx, dy = rng.choice([-1, 1], size=2)
        for t in range(n_frames + 1):
            xx = np.clip(x + dx * t, 0, size - 4)
            yy = np.clip(y + dy * t, 0, size - 4)
            movies[i, t, xx:xx + 4, yy:yy + 4, 0] = 1.0
    # input: frames 0..n-1, target: frames 1..n
    return movies[:, :-1], movies[:, 1:]


def flat_target_bce(y_true, y_pred):
    # y_true arrives as (batch, frames * H * W) -> reshape to match y_pred
    y_true = tf.reshape(y_true, tf.shape(y_pred))
    bce = keras.losses.binary_crossentropy(y_true, y_pred)
    return tf.reduce_mean(bce, axis=[1, 2, 3])


def build_convlstm(size, filters):
    # time axis left as None so the model can be rolled forward on shorter clips
    inp = layers.Input(shape=(None, size, size, 1))
    x = layers.ConvLSTM2D(filters, kernel_size=(3, 3), padding="same",
                          return_sequences=True, activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters, kernel_size=(3, 3), padding="same",
                          return_sequences=True, activation="relu")(x)
    out = layers.Conv3D(1, kernel_size=(3, 3, 3), padding="same", activation="sigmoid")(x)
    return keras.Model(inp, out, name="convlstm_nextframe")


X, Y = generate_movies(cfg["n_samples"], cfg["n_frames"], cfg["size"])
Y_flat = Y.reshape(len(Y), -1)
print(f"X {X.shape}  Y {Y.shape}  Y_flat {Y_flat.shape}")

model = build_convlstm(cfg["size"], cfg["filters"])
model.compile(loss=flat_target_bce, optimizer=keras.optimizers.Adam(cfg["lr"]))

n_val = 4
model.fit(X[:-n_val], Y_flat[:-n_val], batch_size=cfg["batch_size"], epochs=1,
          validation_data=(X[-n_val:], Y_flat[-n_val:]), verbose=2)

# roll the model forward: feed predictions back in, one frame at a time
track = X[0][:3]
for step in range(3):
    new_pos = model.predict(track[np.newaxis, ...], verbose=0)
    new_frame = new_pos[:, -1:, ...]
    track = np.concatenate([track, new_frame[0]], axis=0)
print("rolled-out track:", track.shape)

pred_bin = (track[-3:] > 0.5).astype("float32")
print("predicted pixels on per frame:", pred_bin.sum(axis=(1, 2, 3)).tolist())
