# %% [markdown]
# # Surrogate for a 2D heat-diffusion simulation
# Run a cheap explicit finite-difference solver for a batch of random initial
# temperature fields + conductivities, then train a small conv encoder/decoder
# that jumps straight from (T0, kappa) to T at the final time.

# %%
import os
import tempfile
import time
import numpy as np
import tensorflow as tf
import keras
from keras import layers, callbacks

CKPT_DIR = os.path.join(tempfile.gettempdir(), "rw133_heat_ckpt")
os.makedirs(CKPT_DIR, exist_ok=True)

GRID = 32
N_SIMS = 240
N_TIME = 60
DT = 0.2          # stable for kappa*dt/dx^2 <= 0.25 with dx = 1
KAPPA_RANGE = (0.2, 1.0)
BATCH_SIZE = 16
EPOCHS = 2

rng = np.random.default_rng(2024)

# %%
def random_blobs(n, size, n_blobs=4):
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.zeros((n, size, size), np.float32)
    for i in range(n):
        for _ in range(rng.integers(1, n_blobs + 1)):
            cx, cy = rng.uniform(4, size - 4, 2)
            r = rng.uniform(2, 6)
            amp = rng.uniform(0.5, 1.5)
            out[i] += amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r**2))
    return out


def laplacian(T):
    # zero-Dirichlet boundary: pad with zeros
    Tp = np.pad(T, ((0, 0), (1, 1), (1, 1)))
    return (Tp[:, :-2, 1:-1] + Tp[:, 2:, 1:-1] + Tp[:, 1:-1, :-2] + Tp[:, 1:-1, 2:]
            - 4.0 * T)


def simulate(T0, kappa, n_steps=N_TIME, dt=DT):
    T = T0.copy()
    k = kappa[:, None, None]
    for _ in range(n_steps):
        T = T + dt * k * laplacian(T)
    return T


t0 = time.time()
T0 = random_blobs(N_SIMS, GRID)
kappa = rng.uniform(*KAPPA_RANGE, N_SIMS).astype(np.float32)
T_final = simulate(T0, kappa)
print(f"simulated {N_SIMS} runs in {time.time() - t0:.2f}s; "
      f"energy ratio mean {T_final.sum((1, 2)).mean() / T0.sum((1, 2)).mean():.3f}")

# %%
# stack inputs as channels: [T0, kappa broadcast]
X = np.stack([T0, np.broadcast_to(kappa[:, None, None], T0.shape)], axis=-1).astype(np.float32)
Y = T_final[..., None].astype(np.float32)
idx = rng.permutation(N_SIMS)
tr, va = idx[:200], idx[200:]

def augment(x, y):
    # the PDE is symmetric under flips, so flip inputs and targets together
    flip = tf.random.uniform(()) > 0.5
    x = tf.where(flip, tf.reverse(x, axis=[1]), x)
    y = tf.where(flip, tf.reverse(y, axis=[1]), y)
    return x, y

train_ds = (tf.data.Dataset.from_tensor_slices((X[tr], Y[tr]))
            .shuffle(200).map(augment).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((X[va], Y[va])).batch(BATCH_SIZE)

# %%
def conv_block(x, f, name):
    x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"{name}_c1")(x)
    x = layers.Conv2D(f, 3, padding="same", activation="relu", name=f"{name}_c2")(x)
    return x

def build_unet(filters=(16, 32, 64)):
    inp = keras.Input((GRID, GRID, 2))
    skips, x = [], inp
    for i, f in enumerate(filters[:-1]):
        x = conv_block(x, f, f"enc{i}")
        skips.append(x)
        x = layers.MaxPooling2D(name=f"pool{i}")(x)
    x = conv_block(x, filters[-1], "bottleneck")
    for i, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips))):
        x = layers.Conv2DTranspose(f, 2, strides=2, padding="same", name=f"up{i}")(x)
        x = layers.Concatenate(name=f"cat{i}")([x, skip])
        x = conv_block(x, f, f"dec{i}")
    # predict the change and add back the initial field (residual on T0)
    delta = layers.Conv2D(1, 1, name="delta")(x)
    t0_chan = layers.Lambda(lambda t: t[..., :1], name="take_T0")(inp)
    out = layers.Add(name="T_final")([t0_chan, delta])
    return keras.Model(inp, out, name="heat_unet")

model = build_unet()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse",
              metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
print(f"params: {model.count_params():,}")

cbs = [
    callbacks.ModelCheckpoint(os.path.join(CKPT_DIR, "best.keras"), monitor="val_loss",
                              save_best_only=True),
    callbacks.ReduceLROnPlateau(monitor="val_loss", patience=1, factor=0.5),
]
hist = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=cbs, verbose=2)

# %%
# speed comparison: surrogate vs the solver on the validation set
t0 = time.time(); _ = simulate(T0[va], kappa[va]); t_sim = time.time() - t0
_ = model.predict(X[va][:BATCH_SIZE], verbose=0)  # warm-up so tracing isn't timed
t0 = time.time(); pred = model.predict(X[va], verbose=0); t_nn = time.time() - t0
err = np.sqrt(np.mean((pred - Y[va]) ** 2))
baseline = np.sqrt(np.mean((X[va][..., :1] - Y[va]) ** 2))
print(f"val RMSE surrogate={err:.4f} vs identity baseline={baseline:.4f}")
print(f"solver {t_sim * 1e3:.1f} ms, surrogate {t_nn * 1e3:.1f} ms for {len(va)} cases")

reloaded = keras.models.load_model(os.path.join(CKPT_DIR, "best.keras"), safe_mode=False)
print("reloaded checkpoint val loss:", round(reloaded.evaluate(val_ds, verbose=0)[0], 5))
