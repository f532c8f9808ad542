# %% [markdown]
# # Fine-tuning a keras.applications backbone on tiny images
# No internet on this kernel, so the backbone is built with `weights=None`.
# Two phases: (1) frozen backbone, train the new head; (2) unfreeze the last
# few blocks (BatchNorm stays frozen) and train with a smaller LR.

# %%
import os
import random

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers
from tensorflow.keras.applications import mobilenet_v2

SEED = 2024
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

IMG_SIZE = 48
N_CLASSES = 6
BATCH = 24
HEAD_EPOCHS = 1
FT_EPOCHS = 1
UNFREEZE_LAST = 20
WORK_DIR = "/tmp/rw111_backbone_ft"
os.makedirs(WORK_DIR, exist_ok=True)

# %% [markdown]
# ## Synthetic "texture" dataset
# Each class = a colour tint + a frequency of sinusoidal texture.

# %%
PALETTE = np.array(
    [[220, 60, 60], [60, 200, 80], [70, 90, 230], [230, 200, 40], [160, 60, 200], [40, 200, 200]],
    dtype=np.float32,
)
FREQS = [2, 3, 5, 2, 4, 6]


def render(label, rng):
    yy, xx = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE] / IMG_SIZE
    angle = rng.uniform(0, np.pi)
    wave = np.sin(2 * np.pi * FREQS[label] * (xx * np.cos(angle) + yy * np.sin(angle)))
    base = PALETTE[label][None, None, :] * (0.6 + 0.4 * wave[..., None])
    noise = rng.normal(0, 18, size=base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


rng = np.random.default_rng(SEED)
labels = rng.integers(0, N_CLASSES, size=240)
images = np.stack([render(int(l), rng) for l in labels])
print("images:", images.shape, images.dtype, "label counts:", np.bincount(labels, minlength=N_CLASSES))

idx = rng.permutation(len(images))
cut = int(0.8 * len(idx))
train_idx, val_idx = idx[:cut], idx[cut:]

# %%
AUTOTUNE = tf.data.AUTOTUNE


def preprocess(img, lbl):
    img = tf.cast(img, tf.float32)
    img = mobilenet_v2.preprocess_input(img)  # -> [-1, 1]
    return img, tf.one_hot(lbl, N_CLASSES)


def augment(img, lbl):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_brightness(img, 0.1)
    # random 90-degree rotation, k is a tensor so no python branching here
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    img = tf.image.rot90(img, k)
    return img, lbl


train_ds = (
    tf.data.Dataset.from_tensor_slices((images[train_idx], labels[train_idx]))
    .shuffle(512, seed=SEED)
    .map(preprocess, num_parallel_calls=AUTOTUNE)
    .map(augment, num_parallel_calls=AUTOTUNE)
    .batch(BATCH)
    .prefetch(AUTOTUNE)
)
val_ds = (
    tf.data.Dataset.from_tensor_slices((images[val_idx], labels[val_idx]))
    .map(preprocess, num_parallel_calls=AUTOTUNE)
    .batch(BATCH)
    .cache()
)

# %% [markdown]
# ## Model: MobileNetV2 (alpha=0.35, random init) + new head

# %%
backbone = keras.applications.MobileNetV2(
    input_shape=(IMG_SIZE, IMG_SIZE, 3),
    alpha=0.35,
    include_top=False,
    weights=None,
)
backbone.trainable = False

inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3), name="pixels")
features = backbone(inputs, training=False)   # keep BN in inference mode
x = layers.GlobalAveragePooling2D(name="gap")(features)
x = layers.Dropout(0.3)(x)
x = layers.Dense(128, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
outputs = layers.Dense(N_CLASSES, activation="softmax", name="probs")(x)
model = keras.Model(inputs, outputs, name="mnv2_finetune")

print(f"backbone layers: {len(backbone.layers)}, output feature map: {backbone.output_shape}")
print(f"trainable weights (phase 1): {len(model.trainable_weights)}")

# %% [markdown]
# ## Phase 1 – train only the head

# %%
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
ckpt_path = os.path.join(WORK_DIR, "head.weights.h5")
callbacks = [
    keras.callbacks.ModelCheckpoint(ckpt_path, save_weights_only=True, monitor="val_loss", save_best_only=True),
    keras.callbacks.CSVLogger(os.path.join(WORK_DIR, "log_phase1.csv")),
]
h1 = model.fit(train_ds, validation_data=val_ds, epochs=HEAD_EPOCHS, callbacks=callbacks, verbose=2)

# %% [markdown]
# ## Phase 2 – unfreeze the top of the backbone (not BatchNorm)

# %%
backbone.trainable = True
for layer in backbone.layers[:-UNFREEZE_LAST]:
    layer.trainable = False
for layer in backbone.layers[-UNFREEZE_LAST:]:
    if isinstance(layer, layers.BatchNormalization):
        layer.trainable = False

n_trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"trainable params (phase 2): {n_trainable:,}")
print("unfrozen:", [l.name for l in backbone.layers[-UNFREEZE_LAST:] if l.trainable][:6], "...")

model.compile(
    optimizer=keras.optimizers.Adam(1e-4),
    loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
h2 = model.fit(
    train_ds,
    validation_data=val_ds,
    epochs=HEAD_EPOCHS + FT_EPOCHS,
    initial_epoch=HEAD_EPOCHS,
    callbacks=[keras.callbacks.CSVLogger(os.path.join(WORK_DIR, "log_phase2.csv"))],
    verbose=2,
)

# %%
full_history = {k: h1.history[k] + h2.history.get(k, []) for k in h1.history}
for k, v in full_history.items():
    print(f"{k:>14}: " + "  ".join(f"{val:.3f}" for val in v))

model.save(os.path.join(WORK_DIR, "mnv2_finetune.keras"))
reloaded = keras.models.load_model(os.path.join(WORK_DIR, "mnv2_finetune.keras"))
batch_x, _ = next(iter(val_ds))
diff = np.abs(reloaded.predict(batch_x, verbose=0) - model.predict(batch_x, verbose=0)).max()
print(f"reload max abs diff: {diff:.2e}")
