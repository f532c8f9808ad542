# Staged fine-tuning: freeze/unfreeze layers by type and by name pattern.
# Backbone is a small residual-ish CNN built in a loop; we pretend it's "pretrained".
import re

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG = 32
N_CLASSES = 3
BATCH = 32
STAGES = [
    # (description, trainable-name regex, lr)
    ("head only", r"^head_", 1e-3),
    ("head + block3", r"^(head_|block3_)", 5e-4),
    ("everything but BN", r".*", 1e-4),
]

tf.random.set_seed(42)
np.random.seed(42)


def conv_block(x, filters, idx):
    prefix = f"block{idx}_"
    shortcut = layers.Conv2D(filters, 1, padding="same", name=prefix + "proj")(x)
    y = layers.Conv2D(filters, 3, padding="same", name=prefix + "conv1")(x)
    y = layers.BatchNormalization(name=prefix + "bn1")(y)
    y = layers.Activation("relu", name=prefix + "relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", name=prefix + "conv2")(y)
    y = layers.BatchNormalization(name=prefix + "bn2")(y)
    y = layers.Add(name=prefix + "add")([y, shortcut])
    y = layers.Activation("relu", name=prefix + "out")(y)
    return layers.MaxPooling2D(name=prefix + "pool")(y)


def build_backbone():
    inp = keras.Input((IMG, IMG, 3), name="image")
    x = layers.Rescaling(1.0 / 255, name="rescale")(inp)
    for i, f in enumerate([16, 24, 32], start=1):
        x = conv_block(x, f, i)
    return keras.Model(inp, x, name="backbone")


def attach_head(backbone):
    x = layers.GlobalAveragePooling2D(name="head_gap")(backbone.output)
    x = layers.Dropout(0.2, name="head_drop")(x)
    x = layers.Dense(32, activation="relu", name="head_fc")(x)
    out = layers.Dense(N_CLASSES, activation="softmax", name="head_pred")(x)
    return keras.Model(backbone.input, out, name="finetune_net")


def set_trainable(model, pattern, freeze_types=(layers.BatchNormalization,)):
    """Trainable iff name matches `pattern` and layer isn't one of freeze_types."""
    rx = re.compile(pattern)
    for layer in model.layers:
        if isinstance(layer, freeze_types):
            layer.trainable = False
        else:
            layer.trainable = bool(rx.match(layer.name))


def summarize_trainable(model):
    n_train = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    n_frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    trainable_names = [l.name for l in model.layers if l.trainable and l.weights]
    return n_train, n_frozen, trainable_names


def fake_images(n):
    # class 0: red-ish, class 1: green-ish, class 2: blue-ish
    y = np.random.randint(0, N_CLASSES, n)
    x = np.random.randint(0, 120, size=(n, IMG, IMG, 3)).astype("float32")
    x[np.arange(n), :, :, y] += 120.0
    return x, keras.utils.to_categorical(y, N_CLASSES)


backbone = build_backbone()
# "pretend pretraining": a quick pass on unrelated data so BN stats aren't default
warm = keras.Sequential([backbone, layers.GlobalAveragePooling2D(), layers.Dense(1)])
warm.compile("adam", "mse")
warm.fit(np.random.rand(64, IMG, IMG, 3).astype("float32") * 255, np.random.rand(64, 1), epochs=1, verbose=0)

model = attach_head(backbone)
x_train, y_train = fake_images(256)
x_val, y_val = fake_images(64)
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(256).batch(BATCH)
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(BATCH)

bn_layers = [l for l in model.layers if isinstance(l, layers.BatchNormalization)]
print(f"model has {len(model.layers)} layers, {len(bn_layers)} BatchNorm layers")

history = {}
for stage_name, pattern, lr in STAGES:
    set_trainable(model, pattern)
    # recompile after changing `trainable` so the change is picked up
    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    n_train, n_frozen, names = summarize_trainable(model)
    print(f"\n== stage: {stage_name} (lr={lr}) ==")
    print(f"trainable params={n_train:,}  frozen params={n_frozen:,}")
    print("trainable layers:", ", ".join(names))

    bn_before = [w.numpy().copy() for w in bn_layers[0].non_trainable_weights]
    conv1_before = model.get_layer("block1_conv1").kernel.numpy().copy()
    h = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=0)
    history[stage_name] = h.history
    bn_after = [w.numpy() for w in bn_layers[0].non_trainable_weights]
    conv1_changed = not np.allclose(conv1_before, model.get_layer("block1_conv1").kernel.numpy())
    bn_changed = any(not np.allclose(a, b) for a, b in zip(bn_before, bn_after))
    print(
        f"loss={h.history['loss'][-1]:.4f} val_acc={h.history['val_accuracy'][-1]:.3f} "
        f"| block1_conv1 updated: {conv1_changed} | BN moving stats updated: {bn_changed}"
    )

# sanity: frozen BN layers should never have moved, first-stage conv should have stayed fixed
assert all(not l.trainable for l in bn_layers)
print("\nfinal val accuracy per stage:", {k: round(v["val_accuracy"][-1], 3) for k, v in history.items()})
