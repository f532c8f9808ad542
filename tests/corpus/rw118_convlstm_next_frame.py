"""Next-frame prediction with stacked ConvLSTM2D on synthetic 'bouncing squares'.

Input:  frames t = 0..T-2
Target: frames t = 1..T-1   (shifted by one)
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_VIDEOS = 96
N_FRAMES = 10
H = W = 20
SQUARE = 4
BATCH = 8


def bouncing_squares(n_videos, n_frames, n_objects=2, seed=42):
    rng = np.random.default_rng(seed)
    videos = np.zeros((n_videos, n_frames, H, W, 1), dtype=np.float32)
    for v in range(n_videos):
        pos = rng.uniform(0, H - SQUARE, size=(n_objects, 2))
        vel = rng.uniform(-2.0, 2.0, size=(n_objects, 2))
        for t in range(n_frames):
            for o in range(n_objects):
                r, c = pos[o].astype(int)
                videos[v, t, r:r + SQUARE, c:c + SQUARE, 0] = 1.0
            pos += vel
            # bounce off the walls
            out_low = pos < 0
            out_high = pos > H - SQUARE
            vel[out_low | out_high] *= -1
            pos = np.clip(pos, 0, H - SQUARE)
    return videos


def shift_frames(videos):
    return videos[:, :-1], videos[:, 1:]


def build_model(filters=(12, 12), kernel=(3, 3)):
    inp = keras.Input(shape=(None, H, W, 1))
    x = inp
    for i, f in enumerate(filters):
        x = layers.ConvLSTM2D(
            filters=f,
            kernel_size=kernel,
            padding="same",
            return_sequences=True,
            activation="tanh",
            name=f"convlstm_{i}",
        )(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
    out = layers.Conv3D(1, kernel_size=(3, 3, 3), padding="same", activation="sigmoid",
                        name="frame_head")(x)
    return keras.Model(inp, out, name="convlstm_predictor")


def autoregressive_rollout(model, seed_frames, n_future):
    """Feed predictions back in to hallucinate future frames."""
    frames = seed_frames.copy()
    generated = []
    for _ in range(n_future):
        nxt = model.predict(frames[None], verbose=0)[0, -1]
        nxt = (nxt > 0.5).astype(np.float32)
        generated.append(nxt)
        frames = np.concatenate([frames, nxt[None]], axis=0)
    return np.stack(generated)


def iou(a, b, thr=0.5):
    a, b = a > thr, b > thr
    inter = np.logical_and(a, b).sum()
    union = np.logical_or(a, b).sum()
    return inter / max(union, 1)


if __name__ == "__main__":
    keras.utils.set_random_seed(1)
    videos = bouncing_squares(N_VIDEOS, N_FRAMES)
    print(f"videos: {videos.shape}, fill ratio {videos.mean():.3f}")

    split = int(N_VIDEOS * 0.85)
    x_train, y_train = shift_frames(videos[:split])
    x_val, y_val = shift_frames(videos[split:])

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")])
    model.summary()

    model.fit(x_train, y_train, batch_size=BATCH, epochs=2,
              validation_data=(x_val, y_val), verbose=2)

    sample = videos[split]
    seed_len = 6
    future = autoregressive_rollout(model, sample[:seed_len], n_future=N_FRAMES - seed_len)
    for k, frame in enumerate(future):
        t = seed_len + k
        print(f"t={t}: rollout IoU vs truth = {iou(frame, sample[t]):.3f}, "
              f"pixels on = {int(frame.sum())} (truth {int(sample[t].sum())})")
