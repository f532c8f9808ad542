"""tf.data from numpy arrays + predicting on a single sample.

Typical tutorial flow: from_tensor_slices -> map (normalise/augment) ->
shuffle -> batch -> prefetch, train a small CNN, then the "why does predict
fail on one image" fix: add a batch axis with expand_dims / np.newaxis.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

H, W, C = 28, 28, 1
NUM_CLASSES = 3
BATCH_SIZE = 32
AUTOTUNE = tf.data.AUTOTUNE


class DataModule:
    def __init__(self, n_train=320, n_val=64, seed=123):
        rng = np.random.default_rng(seed)
        self.x_train = rng.integers(0, 256, size=(n_train, H, W), dtype=np.uint8)
        self.y_train = rng.integers(0, NUM_CLASSES, size=(n_train,))
        self.x_val = rng.integers(0, 256, size=(n_val, H, W), dtype=np.uint8)
        self.y_val = rng.integers(0, NUM_CLASSES, size=(n_val,))

    @staticmethod
    def _preprocess(image, label):
        image = tf.cast(image, tf.float32) / 255.0
        image = tf.expand_dims(image, -1)        # (H, W) -> (H, W, 1)
        return image, label

    @staticmethod
    def _augment(image, label):
        image = tf.image.random_flip_left_right(image)
        image = tf.image.random_brightness(image, max_delta=0.1)
        image = tf.clip_by_value(image, 0.0, 1.0)
        return image, label

    def train_ds(self):
        ds = tf.data.Dataset.from_tensor_slices((self.x_train, self.y_train))
        ds = ds.shuffle(len(self.x_train), reshuffle_each_iteration=True)
        ds = ds.map(self._preprocess, num_parallel_calls=AUTOTUNE)
        ds = ds.map(self._augment, num_parallel_calls=AUTOTUNE)
        return ds.batch(BATCH_SIZE, drop_remainder=True).prefetch(AUTOTUNE)

    def val_ds(self):
        ds = tf.data.Dataset.from_tensor_slices((self.x_val, self.y_val))
        return ds.map(self._preprocess).batch(BATCH_SIZE).cache().prefetch(AUTOTUNE)


def build_cnn():
    inputs = keras.Input(shape=(H, W, C))
    x = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny_cnn")


dm = DataModule()
train_ds, val_ds = dm.train_ds(), dm.val_ds()
print("element_spec:", train_ds.element_spec)
for images, labels in train_ds.take(1):
    print("batch:", images.shape, labels.shape, images.dtype)

model = build_cnn()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

# ---- predicting on one sample ----
raw = dm.x_val[0]                              # (28, 28) uint8
img, _ = DataModule._preprocess(raw, 0)        # (28, 28, 1) float32
print("single image shape:", img.shape)

# model.predict(img) would treat the 28 rows as a batch -> shape error.
batched = tf.expand_dims(img, axis=0)          # (1, 28, 28, 1)
probs = model.predict(batched, verbose=0)
print("probs:", probs.shape, "class:", int(np.argmax(probs, axis=-1)[0]))

# numpy alternatives that do the same thing
np_img = img.numpy()
for variant in (np_img[np.newaxis, ...], np_img[None], np_img.reshape(1, H, W, C),
                np.expand_dims(np_img, 0)):
    assert variant.shape == (1, H, W, C)

# For one sample, calling the model directly is faster than predict()
logits = model(batched, training=False)
print("direct call:", logits.shape, "-> squeeze:", tf.squeeze(logits, axis=0).shape)

# Batch inference on a few unlabeled images via tf.data (no labels in the element)
unlabeled = tf.data.Dataset.from_tensor_slices(dm.x_val[:10]).map(
    lambda im: tf.expand_dims(tf.cast(im, tf.float32) / 255.0, -1)).batch(4)
all_preds = model.predict(unlabeled, verbose=0)
print("unlabeled preds:", all_preds.shape)

# Using a serving signature with a fixed single-sample input
@tf.function(input_signature=[tf.TensorSpec(shape=(H, W), dtype=tf.uint8)])
def serve_one(image):
    x = tf.cast(image, tf.float32) / 255.0
    x = tf.reshape(x, (1, H, W, C))
    p = model(x, training=False)
    return {"class_id": tf.argmax(p, axis=-1)[0], "confidence": tf.reduce_max(p)}

out = serve_one(tf.constant(dm.x_val[1]))
print({k: v.numpy() for k, v in out.items()})

# Windowed dataset from numpy with window/flat_map - same pipeline, sequence flavor
series = np.arange(50, dtype="float32")
win = (tf.data.Dataset.from_tensor_slices(series)
       .window(6, shift=1, drop_remainder=True)
       .flat_map(lambda w: w.batch(6))
       .map(lambda w: (w[:-1, tf.newaxis], w[-1]))
       .batch(8))
for xb, yb in win.take(1):
    print("window batch:", xb.shape, yb.shape)
