"""Next-frame prediction with stacked ConvLSTM2D (Moving-MNIST style).

Adapted from the classic keras.io ConvLSTM example: the model sees frames
0..T-2 and is trained to output frames 1..T-1 (shift-by-one targets).
Synthetic bouncing-ball sequences replace the Moving MNIST download.
"""
import numpy as np
import keras
from keras import layers, ops

CONFIG = {
    "seq_len": 10,
    "frame_size": 24,
    "n_sequences": 48,
    "batch_size": 8,
    "filters": [16, 16],
    "kernel_sizes": [(5, 5), (3, 3)],
    "epochs": 1,
    "lr": 1e-3,
    "seed": 7,
}


def bouncing_balls(n, seq_len, size, rng, radius=2.5):
    """Generate grayscale sequences of a single ball bouncing off the walls."""
    yy, xx = np.mgrid[0:size, 0:size]
    data = np.zeros((n, seq_len, size, size, 1), dtype="float32")
    for i in range(n):
        pos = rng.uniform(radius, size - radius, size=2)
        vel = rng.uniform(-2.0, 2.0, size=2)
        for t in range(seq_len):
            dist2 = (yy - pos[0]) ** 2 + (xx - pos[1]) ** 2
            data[i, t, :, :, 0] = np.exp(-dist2 / (2 * radius ** 2))
            pos = pos + vel
            for d in range(2):
                if pos[d] < radius or pos[d] > size - radius:
                    vel[d] = -vel[d]
                    pos[d] = np.clip(pos[d], radius, size - radius)
    return data


def create_shifted_frames(data):
    x = data[:, :-1, ...]
    y = data[:, 1:, ...]
    return x, y


def build_model(cfg):
    h = w = cfg["frame_size"]
    inp = layers.Input(shape=(None, h, w, 1), name="frames")
    x = inp
    for i, (f, k) in enumerate(zip(cfg["filters"], cfg["kernel_sizes"])):
        x = layers.ConvLSTM2D(
            filters=f,
            kernel_size=k,
            padding="same",
            return_sequences=True,
            activation="relu",
            name=f"convlstm_{i}",
        )(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
    # Conv3D head maps the hidden state sequence back to pixel space
    out = layers.Conv3D(1, kernel_size=(3, 3, 3), activation="sigmoid",
                        padding="same", name="to_frame")(x)
    return keras.Model(inp, out, name="convlstm_nextframe")


def autoregressive_rollout(model, seed_frames, n_future):
    """Feed the model its own predictions to extrapolate n_future frames."""
    frames = seed_frames
    for _ in range(n_future):
        pred = model.predict(frames, verbose=0)
        next_frame = pred[:, -1:, ...]
        frames = np.concatenate([frames, next_frame], axis=1)
    return frames[:, seed_frames.shape[1]:, ...]


def main(cfg=CONFIG):
    keras.utils.set_random_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])

    data = bouncing_balls(cfg["n_sequences"], cfg["seq_len"], cfg["frame_size"], rng)
    idx = rng.permutation(len(data))
    split = int(0.8 * len(data))
    train, val = data[idx[:split]], data[idx[split:]]
    x_train, y_train = create_shifted_frames(train)
    x_val, y_val = create_shifted_frames(val)
    print("x_train:", x_train.shape, "y_train:", y_train.shape)

    model = build_model(cfg)
    model.compile(loss=keras.losses.BinaryCrossentropy(),
                  optimizer=keras.optimizers.Adam(cfg["lr"]))
    model.summary()

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=2),
    ]
    model.fit(x_train, y_train, batch_size=cfg["batch_size"],
              epochs=cfg["epochs"], validation_data=(x_val, y_val),
              callbacks=callbacks, verbose=2)

    # Use the first half of a validation sequence as the seed, predict the rest
    half = cfg["seq_len"] // 2
    seed = val[:2, :half]
    future = autoregressive_rollout(model, seed, cfg["seq_len"] - half)
    truth = val[:2, half:]
    mse = ops.mean(ops.square(ops.convert_to_tensor(future) - truth), axis=(1, 2, 3, 4))
    print("rollout shape:", future.shape, "per-seq MSE:", ops.convert_to_numpy(mse))


if __name__ == "__main__":
    main()
