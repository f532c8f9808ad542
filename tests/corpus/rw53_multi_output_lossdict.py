"""Multi-output functional model trained with loss/metric/weight dicts.

From a GitHub issue about "ValueError: ... output names don't match": the dict
keys must match the output *layer names*. Here: one image-ish input, one
tabular input, three heads (class, bbox regression, aux binary flag).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SHAPE = (32, 32, 3)
TAB_DIM = 8
NUM_CLASSES = 5
N = 192
BATCH = 32

CONFIG = {
    "conv_filters": [16, 32],
    "dense_units": 64,
    "dropout": 0.2,
    "loss_weights": {"category": 1.0, "bbox": 0.5, "is_flagged": 0.2},
}


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


def build_model(cfg):
    img = keras.Input(shape=IMG_SHAPE, name="image")
    tab = keras.Input(shape=(TAB_DIM,), name="meta")

    x = img
    for i, f in enumerate(cfg["conv_filters"]):
        x = conv_block(x, f, name=f"block{i}")
    x = layers.GlobalAveragePooling2D()(x)

    t = layers.Dense(16, activation="relu")(tab)
    merged = layers.concatenate([x, t], name="merge")
    shared = layers.Dense(cfg["dense_units"], activation="relu")(merged)
    shared = layers.Dropout(cfg["dropout"])(shared)

    category = layers.Dense(NUM_CLASSES, activation="softmax", name="category")(shared)
    bbox = layers.Dense(4, activation="sigmoid", name="bbox")(shared)  # normalised x1,y1,x2,y2
    flag = layers.Dense(1, activation="sigmoid", name="is_flagged")(t)  # only from metadata
    return keras.Model(inputs={"image": img, "meta": tab},
                       outputs={"category": category, "bbox": bbox, "is_flagged": flag})


def synthetic_batch(n):
    images = np.random.rand(n, *IMG_SHAPE).astype("float32")
    meta = np.random.randn(n, TAB_DIM).astype("float32")
    y_cat = np.random.randint(0, NUM_CLASSES, size=(n,))
    xy = np.random.rand(n, 2) * 0.5
    wh = np.random.rand(n, 2) * 0.5
    y_box = np.concatenate([xy, xy + wh], axis=1).astype("float32")
    y_flag = (meta[:, 0] > 0).astype("float32").reshape(-1, 1)
    return {"image": images, "meta": meta}, {"category": y_cat, "bbox": y_box, "is_flagged": y_flag}


model = build_model(CONFIG)
model.summary(line_length=100)
print("output names:", model.output_names)

model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss={
        "category": "sparse_categorical_crossentropy",
        "bbox": keras.losses.MeanSquaredError(),
        "is_flagged": "binary_crossentropy",
    },
    loss_weights=CONFIG["loss_weights"],
    metrics={
        "category": ["accuracy"],
        "bbox": [keras.metrics.MeanAbsoluteError(name="mae")],
        "is_flagged": [keras.metrics.BinaryAccuracy(name="acc")],
    },
)

inputs, targets = synthetic_batch(N)
history = model.fit(inputs, targets, batch_size=BATCH, epochs=1, validation_split=0.25, verbose=2)
print(sorted(history.history.keys()))

# Same thing via tf.data: the element structure must be (inputs_dict, targets_dict)
ds = (tf.data.Dataset.from_tensor_slices((inputs, targets))
      .shuffle(N).batch(BATCH).prefetch(tf.data.AUTOTUNE))
for xb, yb in ds.take(1):
    print({k: v.shape for k, v in xb.items()}, {k: v.shape for k, v in yb.items()})
results = model.evaluate(ds, return_dict=True, verbose=0)
print({k: round(v, 4) for k, v in results.items()})

# predict returns a dict keyed the same way
preds = model.predict({"image": inputs["image"][:3], "meta": inputs["meta"][:3]}, verbose=0)
for name, arr in preds.items():
    print(name, arr.shape)
print("predicted classes:", np.argmax(preds["category"], axis=-1))

# Partial training: freeze the conv trunk, only fine-tune heads
for layer in model.layers:
    if layer.name.startswith("block"):
        layer.trainable = False
model.compile(optimizer="adam",
              loss={"category": "sparse_categorical_crossentropy", "bbox": "mse",
                    "is_flagged": "binary_crossentropy"})
model.fit(inputs, targets, batch_size=BATCH, epochs=1, verbose=0)
print("trainable weights after freezing:", len(model.trainable_weights))
