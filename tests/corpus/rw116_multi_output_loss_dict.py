"""Multi-task image model: one shared trunk, three heads.

Originally written against Keras 2.4 (`keras.layers.merge`, K.* metrics).
Ported to Keras 3 / TF 2.21: outputs are named by their layers, and losses,
loss_weights and metrics are passed as dicts keyed by those names.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import backend as K

SEED = 7
IMG_SIZE = 24
N_CLASSES = 5
N_TRAIN = 320
N_VAL = 64
BATCH_SIZE = 32
EPOCHS = 2

LOSS_WEIGHTS = {"shape_class": 1.0, "is_large": 0.5, "brightness": 0.25}

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_fake_images(n, size=IMG_SIZE, n_classes=N_CLASSES):
    """Blobs whose position encodes the class, radius encodes 'large',
    and the overall intensity is the regression target."""
    xs = np.zeros((n, size, size, 1), dtype="float32")
    cls = np.random.randint(0, n_classes, size=n)
    radius = np.random.uniform(2.0, 7.0, size=n)
    bright = np.random.uniform(0.2, 1.0, size=n).astype("float32")
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        cx = 3 + cls[i] * (size - 6) / max(n_classes - 1, 1)
        cy = size / 2 + np.random.randn()
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius[i] ** 2
        xs[i, mask, 0] = bright[i]
    xs += np.random.normal(0, 0.05, xs.shape).astype("float32")
    targets = {
        "shape_class": cls.astype("int32"),
        "is_large": (radius > 4.5).astype("float32")[:, None],
        "brightness": bright[:, None],
    }
    return xs, targets


# ---- custom metrics (Keras-2 style, still work through the legacy K API) ----
def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def within_tolerance(y_true, y_pred, tol=0.1):
    close = K.cast(K.abs(y_true - y_pred) < tol, K.floatx())
    return K.mean(close, axis=-1)


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


def build_model(filters=(16, 32), dense_units=64):
    inp = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1), name="image")
    x = inp
    for i, f in enumerate(filters):
        x = conv_block(x, f, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    shared = layers.Dense(dense_units, activation="relu", name="shared_fc")(x)

    cls_out = layers.Dense(N_CLASSES, activation="softmax", name="shape_class")(shared)
    large_h = layers.Dense(16, activation="relu", name="large_fc")(shared)
    large_out = layers.Dense(1, activation="sigmoid", name="is_large")(large_h)
    bright_out = layers.Dense(1, activation="linear", name="brightness")(shared)

    return keras.Model(inp, [cls_out, large_out, bright_out], name="multitask_net")


def main():
    x_train, y_train = make_fake_images(N_TRAIN)
    x_val, y_val = make_fake_images(N_VAL)

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss={
            "shape_class": "sparse_categorical_crossentropy",
            "is_large": keras.losses.BinaryCrossentropy(),
            "brightness": "mse",
        },
        loss_weights=LOSS_WEIGHTS,
        metrics={
            "shape_class": ["accuracy"],
            "is_large": [keras.metrics.AUC(name="auc"), "accuracy"],
            "brightness": [rmse, within_tolerance],
        },
    )
    model.summary(line_length=100)

    history = model.fit(
        x_train,
        y_train,
        validation_data=(x_val, y_val),
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=2,
    )
    print("history keys:", sorted(history.history.keys()))

    results = model.evaluate(x_val, y_val, verbose=0, return_dict=True)
    for k, v in sorted(results.items()):
        print(f"  {k:<35s} {v:.4f}")

    preds = model.predict(x_val[:8], verbose=0)
    # Keras 3 returns a list in the order outputs were passed to Model()
    pred_named = dict(zip(model.output_names, preds))
    print("predicted classes:", np.argmax(pred_named["shape_class"], axis=1))
    print("true classes     :", y_val["shape_class"][:8])
    print("p(large)         :", np.round(pred_named["is_large"].ravel(), 2))
    print("brightness err   :", np.round(np.abs(pred_named["brightness"] - y_val["brightness"][:8]).ravel(), 3))

    # quick sanity check that loss weights were applied as expected
    manual = sum(LOSS_WEIGHTS[name] * results[f"{name}_loss"] for name in LOSS_WEIGHTS
                 if f"{name}_loss" in results)
    print(f"total loss {results['loss']:.4f} vs weighted sum of heads {manual:.4f}")


if __name__ == "__main__":
    main()
