"""Land-cover classification on synthetic 13-band Sentinel-2 style tiles.

The raw tiles come in (N, bands, H, W) order, as many GeoTIFF readers return
them, so the model reorders them with a Permute layer before the convs.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
NUM_BANDS = 13
TILE = 32
NUM_CLASSES = 6
N_TRAIN = 320
N_VAL = 64
BATCH = 32
EPOCHS = 2

BAND_NAMES = ["B01", "B02", "B03", "B04", "B05", "B06", "B07",
              "B08", "B8A", "B09", "B10", "B11", "B12"]

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


SIGNATURES = rng.uniform(500, 4000, size=(NUM_CLASSES, NUM_BANDS))
CLASS_PRIOR = np.array([0.35, 0.25, 0.15, 0.1, 0.1, 0.05])


def make_fake_tiles(n, rng, signatures=SIGNATURES):
    """Reflectance-like values roughly in [0, 10000], each class with its own spectral signature."""
    labels = rng.choice(NUM_CLASSES, size=n, p=CLASS_PRIOR)
    tiles = np.empty((n, NUM_BANDS, TILE, TILE), dtype=np.float32)
    for i, lab in enumerate(labels):
        base = signatures[lab][:, None, None]
        texture = rng.normal(0.0, 300.0, size=(NUM_BANDS, TILE, TILE))
        tiles[i] = np.clip(base + texture, 0, 10000)
    return tiles, labels.astype(np.int32)


def band_stats(x):
    # per-band statistics over batch & spatial dims (axis 1 is bands)
    mean = x.mean(axis=(0, 2, 3), keepdims=True)
    std = x.std(axis=(0, 2, 3), keepdims=True) + 1e-6
    return mean, std


x_train, y_train = make_fake_tiles(N_TRAIN, rng)
x_val, y_val = make_fake_tiles(N_VAL, rng)

mu, sigma = band_stats(x_train)
x_train = (x_train - mu) / sigma
x_val = (x_val - mu) / sigma

for name, m, s in zip(BAND_NAMES, mu.ravel(), sigma.ravel()):
    print(f"{name}: mean={m:8.1f} std={s:7.1f}")

# class weights ~ inverse frequency
counts = np.bincount(y_train, minlength=NUM_CLASSES)
class_weight = {c: float(len(y_train) / (NUM_CLASSES * max(cnt, 1))) for c, cnt in enumerate(counts)}
print("class weights:", {k: round(v, 3) for k, v in class_weight.items()})


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return x


def build_model():
    inp = keras.Input(shape=(NUM_BANDS, TILE, TILE), name="tile_chw")
    x = layers.Permute((2, 3, 1), name="to_channels_last")(inp)
    # 1x1 conv acts as a learned band mixer (like a spectral index)
    x = layers.Conv2D(16, 1, activation="relu", name="spectral_mix")(x)
    for i, f in enumerate([32, 64, 96]):
        x = conv_block(x, f, name=f"stage{i}")
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax", name="landcover")(x)
    return keras.Model(inp, out, name="sentinel_cnn")


model = build_model()
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()

history = model.fit(
    x_train, y_train,
    validation_data=(x_val, y_val),
    batch_size=BATCH,
    epochs=EPOCHS,
    class_weight=class_weight,
    verbose=2,
)

probs = model.predict(x_val[:8], verbose=0)
for p, t in zip(probs.argmax(-1), y_val[:8]):
    print(f"pred={p} true={t}")
print("final val acc:", history.history["val_accuracy"][-1])
