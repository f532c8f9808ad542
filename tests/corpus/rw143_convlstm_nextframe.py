# Next-frame prediction with stacked ConvLSTM2D (moving-squares toy problem)
# Inspired by the classic Keras example, but written from scratch with a tf.data
# pipeline that builds shifted input/target pairs on the fly.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

cfg = dict(
    n_samples=160,
    seq_len=10,
    size=24,
    n_squares=(1, 3),
    conv_filters=[16, 16],
    kernel=(3, 3),
    batch_size=8,
    epochs=1,
    lr=2e-3,
)


def make_moving_squares(n, seq_len, size, n_squares, seed=0):
    """Returns float32 array of shape (n, seq_len + 1, size, size, 1)."""
    r = np.random.RandomState(seed)
    movies = np.zeros((n, seq_len + 1, size, size, 1), dtype=np.float32)
    for i in range(n):
        for _ in range(r.randint(*n_squares)):
            half = r.randint(1, 3)
            x, y = r.randint(half, size - half, size=2)
            vx, vy = r.randint(-1, 2, size=2)
            for t in range(seq_len + 1):
                xt = int(np.clip(x + vx * t, half, size - half - 1))
                yt = int(np.clip(y + vy * t, half, size - half - 1))
                movies[i, t, xt - half:xt + half + 1, yt - half:yt + half + 1, 0] += 1.0
    return np.clip(movies, 0, 1)


def to_pairs(movie):
    # input = frames 0..T-1, target = frames 1..T
    return movie[:-1], movie[1:]


def build_model(seq_len, size, filters, kernel):
    inp = keras.Input(shape=(seq_len, size, size, 1), name="frames")
    x = inp
    for i, f in enumerate(filters):
        x = layers.ConvLSTM2D(
            f, kernel, padding="same", return_sequences=True,
            name=f"convlstm_{i}",
        )(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
    out = layers.Conv3D(1, (3, 3, 3), padding="same", activation="sigmoid", name="head")(x)
    return keras.Model(inp, out, name="convlstm_predictor")


movies = make_moving_squares(cfg["n_samples"], cfg["seq_len"], cfg["size"], cfg["n_squares"])
print("movies:", movies.shape, "mean pixel:", float(movies.mean()))

n_val = cfg["n_samples"] // 8
ds = tf.data.Dataset.from_tensor_slices(movies)
train_ds = (ds.skip(n_val).shuffle(256).map(to_pairs, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE))
val_ds = ds.take(n_val).map(to_pairs).batch(cfg["batch_size"])

model = build_model(cfg["seq_len"], cfg["size"], cfg["conv_filters"], cfg["kernel"])
model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]),
              loss="binary_crossentropy",
              metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
model.summary(line_length=90)

model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)

# autoregressive rollout: feed 5 real frames, then predict 5 more one at a time
seed_movie = movies[0:1, :cfg["seq_len"]]
warm = 5
track = seed_movie[:, :warm].copy()
for step in range(cfg["seq_len"] - warm):
    padded = np.concatenate(
        [track, np.zeros((1, cfg["seq_len"] - track.shape[1], cfg["size"], cfg["size"], 1), np.float32)],
        axis=1,
    )
    pred = model.predict(padded, verbose=0)
    nxt = pred[:, track.shape[1] - 1:track.shape[1]]
    track = np.concatenate([track, nxt], axis=1)
    err = np.abs(nxt[0] - movies[0, track.shape[1] - 1]).mean()
    print(f"rollout step {step}: frame {track.shape[1] - 1}, mae vs truth = {err:.4f}")

print("final rollout shape:", track.shape)
