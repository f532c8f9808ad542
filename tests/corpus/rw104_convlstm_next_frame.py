# ConvLSTM2D next-frame prediction on synthetic bouncing dots
# (think "moving MNIST" but generated on the fly so nothing to download)
import numpy as np
import tensorflow as tf
import keras
from keras import layers

cfg = {
    "n_seq": 160,
    "seq_len": 10,
    "img": 24,
    "n_dots": 2,
    "filters": [16, 16],
    "batch": 8,
    "epochs": 1,
    "lr": 1e-3,
}

np.random.seed(0)


def bouncing_dots(n_seq, seq_len, img, n_dots):
    out = np.zeros((n_seq, seq_len, img, img, 1), dtype="float32")
    for s in range(n_seq):
        pos = np.random.uniform(2, img - 3, size=(n_dots, 2))
        vel = np.random.uniform(-1.5, 1.5, size=(n_dots, 2))
        for t in range(seq_len):
            for d in range(n_dots):
                r, c = pos[d].astype(int)
                out[s, t, max(r - 1, 0):r + 2, max(c - 1, 0):c + 2, 0] = 1.0
            pos += vel
            # bounce off the walls
            hit = (pos < 1) | (pos > img - 2)
            vel[hit] *= -1
            pos = np.clip(pos, 1, img - 2)
    return out


def shift_for_next_frame(seqs):
    """x = frames 0..T-2, y = frames 1..T-1"""
    return seqs[:, :-1], seqs[:, 1:]


data = bouncing_dots(cfg["n_seq"], cfg["seq_len"], cfg["img"], cfg["n_dots"])
idx = np.random.permutation(len(data))
n_train = int(len(idx) * 0.9)
train, val = data[idx[:n_train]], data[idx[n_train:]]
x_train, y_train = shift_for_next_frame(train)
x_val, y_val = shift_for_next_frame(val)
print("x_train", x_train.shape, "y_train", y_train.shape)

inp = layers.Input(shape=(None, cfg["img"], cfg["img"], 1))
x = inp
for i, f in enumerate(cfg["filters"]):
    x = layers.ConvLSTM2D(
        filters=f,
        kernel_size=(3, 3),
        padding="same",
        return_sequences=True,
        activation="tanh",
        name=f"convlstm_{i}",
    )(x)
    x = layers.BatchNormalization(name=f"bn_{i}")(x)
out = layers.Conv3D(1, kernel_size=(3, 3, 3), padding="same", activation="sigmoid", name="frame_head")(x)

model = keras.Model(inp, out, name="next_frame_predictor")
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(learning_rate=cfg["lr"]))
model.summary()

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=2, factor=0.5),
]
model.fit(
    x_train, y_train,
    batch_size=cfg["batch"],
    epochs=cfg["epochs"],
    validation_data=(x_val, y_val),
    callbacks=callbacks,
    verbose=2,
)

# autoregressive rollout: feed 5 ground-truth frames, then predict 4 more
example = val[0]
context = example[:5]
frames = context.copy()
for step in range(4):
    pred = model.predict(frames[np.newaxis], verbose=0)[0, -1]
    frames = np.concatenate([frames, pred[np.newaxis]], axis=0)

future_true = example[5:9]
future_pred = frames[5:9]
mse = np.mean((future_true - future_pred) ** 2, axis=(1, 2, 3))
for t, e in enumerate(mse):
    print(f"t+{t + 1}: mse={e:.4f}")
