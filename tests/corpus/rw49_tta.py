"""Test-time augmentation (TTA) for an image classifier.

Trains a compact subclassed CNN for one epoch, then compares plain predictions
with TTA predictions that average softmax outputs over flips, small shifts and
a centre-crop-and-resize. Two TTA flavours are shown:
  * a Python loop over deterministic transforms (easy to read), and
  * a vectorised tf.function that stacks all views into a single batch.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

H = W = 40
NUM_CLASSES = 6
N_TRAIN, N_TEST = 192, 48
BATCH = 32


class ConvBlock(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters

    def build(self, input_shape):
        self.conv1 = layers.Conv2D(self.filters, 3, padding="same", use_bias=False)
        self.bn1 = layers.BatchNormalization(momentum=0.9)
        self.conv2 = layers.Conv2D(self.filters, 3, padding="same", use_bias=False)
        self.bn2 = layers.BatchNormalization(momentum=0.9)
        self.proj = None
        if input_shape[-1] != self.filters:
            self.proj = layers.Conv2D(self.filters, 1)
        self.pool = layers.MaxPooling2D()

    def call(self, x, training=False):
        shortcut = x if self.proj is None else self.proj(x)
        y = ops.relu(self.bn1(self.conv1(x), training=training))
        y = self.bn2(self.conv2(y), training=training)
        return self.pool(ops.relu(y + shortcut))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters)
        return cfg


class SmallNet(keras.Model):
    def __init__(self, num_classes, widths=(16, 32, 48), **kwargs):
        super().__init__(**kwargs)
        self.augment = keras.Sequential(
            [layers.RandomFlip("horizontal"), layers.RandomTranslation(0.1, 0.1)]
        )
        self.rescale = layers.Rescaling(1.0 / 127.5, offset=-1.0)
        self.blocks = [ConvBlock(w, name=f"block{i}") for i, w in enumerate(widths)]
        self.gap = layers.GlobalAveragePooling2D()
        self.drop = layers.Dropout(0.2)
        self.classifier = layers.Dense(num_classes)

    def call(self, images, training=False):
        x = self.rescale(images)
        if training:  # python bool, not a tensor
            x = self.augment(x, training=True)
        for block in self.blocks:
            x = block(x, training=training)
        x = self.drop(self.gap(x), training=training)
        return self.classifier(x)


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, n)
    x = rng.uniform(0, 40, size=(n, H, W, 3)).astype("float32")
    # class-dependent squares whose colour encodes the label
    for i, c in enumerate(y):
        r0, c0 = rng.integers(4, H - 16, size=2)
        x[i, r0 : r0 + 12, c0 : c0 + 12, c % 3] += 120 + 20 * (c // 3)
    return x, y


# ---------------------------------------------------------------- TTA helpers
def shift(images, dy, dx):
    # roll + pad would be more correct; roll is the quick Kaggle trick
    return tf.roll(images, shift=[dy, dx], axis=[1, 2])


def center_zoom(images, frac=0.85):
    crop = tf.image.central_crop(images, frac)
    return tf.image.resize(crop, (H, W))


TTA_TRANSFORMS = {
    "identity": lambda im: im,
    "hflip": tf.image.flip_left_right,
    "shift_r": lambda im: shift(im, 0, 3),
    "shift_d": lambda im: shift(im, 3, 0),
    "zoom": center_zoom,
}


def predict_tta_loop(model, images, transforms=TTA_TRANSFORMS, batch_size=BATCH):
    probs = []
    for name, fn in transforms.items():
        logits = model.predict(fn(images), batch_size=batch_size, verbose=0)
        probs.append(ops.softmax(logits, axis=-1))
    stacked = ops.stack(probs, axis=0)  # (n_tta, N, C)
    return ops.convert_to_numpy(ops.mean(stacked, axis=0)), ops.convert_to_numpy(stacked)


def make_vectorised_tta(model):
    @tf.function(reduce_retracing=True)
    def tta_step(images):
        views = [fn(images) for fn in TTA_TRANSFORMS.values()]
        n_views = len(views)
        batch = tf.concat(views, axis=0)  # (n_views * B, H, W, 3)
        logits = model(batch, training=False)
        probs = tf.nn.softmax(logits, axis=-1)
        probs = tf.reshape(probs, [n_views, -1, NUM_CLASSES])
        # geometric mean of probabilities is sometimes slightly better
        return tf.exp(tf.reduce_mean(tf.math.log(probs + 1e-7), axis=0))

    return tta_step


def accuracy(probs, labels):
    return float(np.mean(np.argmax(probs, axis=-1) == labels))


def main():
    keras.utils.set_random_seed(7)
    x_train, y_train = make_data(N_TRAIN, seed=1)
    x_test, y_test = make_data(N_TEST, seed=2)

    model = SmallNet(NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=BATCH, epochs=3, validation_split=0.15, verbose=2)
    model.summary()

    plain = ops.convert_to_numpy(ops.softmax(model.predict(x_test, verbose=0), axis=-1))
    tta_mean, per_view = predict_tta_loop(model, x_test)
    print("per-view probs:", per_view.shape)
    for name, view_probs in zip(TTA_TRANSFORMS, per_view):
        print(f"  {name:9s} acc={accuracy(view_probs, y_test):.3f}")
    print(f"plain acc: {accuracy(plain, y_test):.3f}  TTA(mean) acc: {accuracy(tta_mean, y_test):.3f}")

    tta_step = make_vectorised_tta(model)
    ds = tf.data.Dataset.from_tensor_slices(x_test).batch(16)
    geo = np.concatenate([tta_step(batch).numpy() for batch in ds], axis=0)
    print(f"TTA(geo-mean, vectorised) acc: {accuracy(geo, y_test):.3f}  shape={geo.shape}")

    # how often does TTA change the decision?
    changed = np.mean(np.argmax(plain, -1) != np.argmax(tta_mean, -1))
    print(f"fraction of predictions changed by TTA: {changed:.2%}")


if __name__ == "__main__":
    main()
