"""
CNN surrogate for a 2D heat-diffusion simulator.

The "expensive" simulator is an explicit finite-difference solver with a
spatially varying conductivity field k(x, y).  The surrogate maps
[T0, k] -> T(t_end) with a small U-Net.  Everything is synthetic.
"""
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

GRID = 32
N_SAMPLES = 180
SIM_STEPS = 40
DT = 0.1
BATCH_SIZE = 16
EPOCHS = 2
BASE_FILTERS = 12
CKPT_PATH = os.path.join(tempfile.gettempdir(), "rw129_heat_unet_best.keras")
DEPTH = 2

rng = np.random.default_rng(2024)


# ---------------------------------------------------------------- simulator
def random_blobs(n_blobs, grid):
    yy, xx = np.mgrid[0:grid, 0:grid] / (grid - 1)
    field = np.zeros((grid, grid))
    for _ in range(n_blobs):
        cx, cy = rng.uniform(0.15, 0.85, size=2)
        s = rng.uniform(0.05, 0.15)
        amp = rng.uniform(0.5, 1.0)
        field += amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s ** 2))
    return field


def conductivity(grid):
    # two-phase material: a random smooth field thresholded into k in {0.2, 1.0}
    raw = random_blobs(rng.integers(2, 5), grid)
    return np.where(raw > np.median(raw), 1.0, 0.2)


def simulate(T0, k, steps=SIM_STEPS, dt=DT):
    """Explicit Euler, 5-point stencil, Dirichlet T=0 on the boundary."""
    T = T0.copy()
    h2 = 1.0  # grid units
    for _ in range(steps):
        Tp = np.pad(T, 1)
        kp = np.pad(k, 1, mode="edge")
        # face conductivities (harmonic mean would be nicer, arithmetic is fine here)
        ke = 0.5 * (kp[1:-1, 2:] + kp[1:-1, 1:-1])
        kw = 0.5 * (kp[1:-1, :-2] + kp[1:-1, 1:-1])
        kn = 0.5 * (kp[:-2, 1:-1] + kp[1:-1, 1:-1])
        ks = 0.5 * (kp[2:, 1:-1] + kp[1:-1, 1:-1])
        flux = (ke * (Tp[1:-1, 2:] - T) + kw * (Tp[1:-1, :-2] - T)
                + kn * (Tp[:-2, 1:-1] - T) + ks * (Tp[2:, 1:-1] - T)) / h2
        T = T + dt * flux
        T[0, :] = T[-1, :] = T[:, 0] = T[:, -1] = 0.0
    return T


t0 = time.time()
inputs, targets = [], []
for i in range(N_SAMPLES):
    T0 = random_blobs(rng.integers(1, 4), GRID)
    k = conductivity(GRID)
    inputs.append(np.stack([T0, k], axis=-1))
    targets.append(simulate(T0, k)[..., None])
X = np.asarray(inputs, dtype=np.float32)
Y = np.asarray(targets, dtype=np.float32)
print(f"simulated {N_SAMPLES} cases in {time.time() - t0:.1f}s; X {X.shape}, Y {Y.shape}")

# normalise temperatures with a single scale so the physics stays linear in T
T_SCALE = float(X[..., 0].max())
X[..., 0] /= T_SCALE
Y /= T_SCALE

n_val = N_SAMPLES // 6
X_train, Y_train = X[n_val:], Y[n_val:]
X_val, Y_val = X[:n_val], Y[:n_val]


# ---------------------------------------------------------------- data pipeline
def augment(x, y):
    # the PDE is invariant to flips/90° rotations of the domain, so augment both
    xy = tf.concat([x, y], axis=-1)
    xy = tf.image.random_flip_left_right(xy)
    xy = tf.image.random_flip_up_down(xy)
    k_rot = tf.random.uniform([], 0, 4, dtype=tf.int32)
    xy = tf.image.rot90(xy, k=k_rot)
    return xy[..., :2], xy[..., 2:]


train_ds = (tf.data.Dataset.from_tensor_slices((X_train, Y_train))
            .shuffle(len(X_train))
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH_SIZE)
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((X_val, Y_val)).batch(BATCH_SIZE)


# ---------------------------------------------------------------- model
def conv_block(x, filters, name):
    for j in range(2):
        x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv{j}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{j}")(x)
        x = layers.Activation("swish", name=f"{name}_act{j}")(x)
    return x


def build_unet(grid=GRID, base=BASE_FILTERS, depth=DEPTH):
    inp = keras.Input((grid, grid, 2), name="T0_and_k")
    skips, x = [], inp
    for d in range(depth):
        x = conv_block(x, base * 2 ** d, f"down{d}")
        skips.append(x)
        x = layers.MaxPooling2D(name=f"pool{d}")(x)
    x = conv_block(x, base * 2 ** depth, "bottleneck")
    for d in reversed(range(depth)):
        x = layers.Conv2DTranspose(base * 2 ** d, 2, strides=2, name=f"up{d}")(x)
        x = layers.Concatenate(name=f"skip{d}")([x, skips[d]])
        x = conv_block(x, base * 2 ** d, f"dec{d}")
    # predict the update relative to the initial condition (residual learning)
    delta = layers.Conv2D(1, 1, name="delta")(x)
    T0 = layers.Lambda(lambda t: t[..., :1], name="take_T0")(inp)
    out = layers.Add(name="T_end")([T0, delta])
    return keras.Model(inp, out, name="heat_unet")


model = build_unet()
print(f"{model.name}: {model.count_params():,} params, {len(model.layers)} layers")
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse",
              metrics=["mae"])

callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, verbose=1),
    keras.callbacks.ModelCheckpoint(CKPT_PATH,
                                    monitor="val_loss", save_best_only=True),
]
model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=callbacks, verbose=2)

# compare the surrogate's speed against the simulator on the validation set
t0 = time.time()
pred = model.predict(X_val, batch_size=64, verbose=0)
t_nn = time.time() - t0
t0 = time.time()
_ = [simulate(x[..., 0] * T_SCALE, x[..., 1]) for x in X_val[:10]]
t_sim = (time.time() - t0) / 10 * len(X_val)
err = np.sqrt(np.mean((pred - Y_val) ** 2)) / np.sqrt(np.mean(Y_val ** 2))
print(f"val relative RMSE: {err:.3f}")
print(f"surrogate {t_nn * 1e3:.1f} ms vs simulator ~{t_sim * 1e3:.1f} ms for {len(X_val)} cases")

reloaded = keras.models.load_model(CKPT_PATH, safe_mode=False)
print("reloaded checkpoint, max abs diff:",
      float(np.abs(reloaded.predict(X_val[:4], verbose=0) - model.predict(X_val[:4], verbose=0)).max()))
