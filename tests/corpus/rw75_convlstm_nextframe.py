"""Next-frame prediction with stacked ConvLSTM2D layers.

Adapted from the classic Keras "moving squares" demo: the model sees a
sequence of frames and predicts each following frame (many-to-many, shifted
by one). Afterwards we roll the model out autoregressively for a few steps.
"""
import numpy as np
import keras
from keras import layers, ops

config = {
    "n_samples": 64,
    "n_frames": 10,
    "rows": 24,
    "cols": 24,
    "filters": 16,
    "batch_size": 8,
    "epochs": 1,
    "rollout_steps": 3,
}


def generate_movies(n_samples, n_frames, rows, cols, seed=0):
    """Squares bouncing around a canvas; returns (noisy, clean) shifted-by-one pairs."""
    rng = np.random.default_rng(seed)
    noisy = np.zeros((n_samples, n_frames + 1, rows, cols, 1), dtype=np.float32)
    clean = np.zeros_like(noisy)
    for i in range(n_samples):
        for _ in range(rng.integers(2, 4)):
            x, y = rng.integers(3, rows - 3), rng.integers(3, cols - 3)
            dx, dy = rng.integers(-1, 2), rng.integers(-1, 2)
            w = rng.integers(1, 3)
            for t in range(n_frames + 1):
                xs, ys = x + dx * t, y + dy * t
                x0, x1 = max(xs - w, 0), min(xs + w, rows)
                y0, y1 = max(ys - w, 0), min(ys + w, cols)
                clean[i, t, x0:x1, y0:y1, 0] += 1
                # add jitter to the training input only
                if rng.random() < 0.5:
                    jitter = rng.choice([-1, 1])
                    noisy[i, t, max(x0 + jitter, 0):max(x1 + jitter, 0),
                          max(y0 + jitter, 0):max(y1 + jitter, 0), 0] += 0.1
                noisy[i, t, x0:x1, y0:y1, 0] += 1
    noisy = np.clip(noisy, 0.0, 1.0)
    clean = np.clip(clean, 0.0, 1.0)
    # input = frames 0..T-1, target = frames 1..T
    return noisy[:, :-1], clean[:, 1:]


def build_model(frame_shape, filters):
    inp = layers.Input(shape=(None, *frame_shape))
    x = layers.ConvLSTM2D(filters, (5, 5), padding="same",
                          return_sequences=True, activation="relu")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters, (3, 3), padding="same",
                          return_sequences=True, activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.ConvLSTM2D(filters, (1, 1), padding="same",
                          return_sequences=True, activation="relu")(x)
    # Conv3D over (time, h, w) collapses channels back to a single frame per step
    out = layers.Conv3D(1, (3, 3, 3), activation="sigmoid", padding="same")(x)
    return keras.Model(inp, out, name="convlstm_predictor")


def rollout(model, seed_frames, steps):
    """Feed the model its own predictions to extrapolate `steps` frames."""
    frames = seed_frames
    generated = []
    for _ in range(steps):
        pred = model.predict(frames, verbose=0)
        next_frame = pred[:, -1:, ...]              # (B, 1, H, W, 1)
        generated.append(next_frame)
        frames = np.concatenate([frames, next_frame], axis=1)
    return np.concatenate(generated, axis=1)


def frame_psnr(y_true, y_pred):
    mse = ops.mean(ops.square(y_true - y_pred), axis=(-3, -2, -1))
    return ops.mean(10.0 * ops.log(1.0 / (mse + 1e-8)) / ops.log(10.0))


if __name__ == "__main__":
    cfg = config
    x, y = generate_movies(cfg["n_samples"], cfg["n_frames"], cfg["rows"], cfg["cols"])
    print("inputs:", x.shape, "targets:", y.shape)

    n_val = cfg["n_samples"] // 8
    x_train, y_train = x[:-n_val], y[:-n_val]
    x_val, y_val = x[-n_val:], y[-n_val:]

    model = build_model((cfg["rows"], cfg["cols"], 1), cfg["filters"])
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="binary_crossentropy", metrics=[frame_psnr])
    model.summary()

    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", patience=2),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=4,
                                      restore_best_weights=True),
    ]
    model.fit(x_train, y_train, batch_size=cfg["batch_size"], epochs=cfg["epochs"],
              validation_data=(x_val, y_val), callbacks=callbacks, verbose=2)

    # take first half of a validation movie and let the model imagine the rest
    half = cfg["n_frames"] // 2
    seed = x_val[:2, :half]
    future = rollout(model, seed, cfg["rollout_steps"])
    truth = y_val[:2, half - 1:half - 1 + cfg["rollout_steps"]]
    print("rollout:", future.shape, "truth:", truth.shape)
    print("rollout PSNR: %.2f dB" % float(frame_psnr(truth, future)))
