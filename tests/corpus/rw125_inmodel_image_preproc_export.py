"""Image classifier with all preprocessing baked into the model.

The exported .keras file accepts uint8 images of *any* size: Resizing plus
RandomCrop (a center crop at inference) normalize geometry, a Normalization layer adapted on training
pixels standardizes channels, and augmentation layers (RandomZoom,
RandomRotation, RandomCrop + a custom jitter layer) only fire in training.
"""
from dataclasses import dataclass, field
import os

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class PrepConfig:
    resize_to: int = 40
    crop_to: int = 32
    zoom: float = 0.1
    rotate: float = 0.05
    jitter: float = 0.1
    classes: list = field(default_factory=lambda: ["stripes_h", "stripes_v", "checker", "blob"])


CFG = PrepConfig()
SAVE_PATH = "/tmp/rw125_inmodel_preproc/texture_net.keras"
rng = np.random.default_rng(5)


def texture(kind, h, w):
    yy, xx = np.mgrid[:h, :w].astype("float32")
    period = rng.uniform(5, 9)
    if kind == 0:
        base = np.sin(yy / period * np.pi)
    elif kind == 1:
        base = np.sin(xx / period * np.pi)
    elif kind == 2:
        base = np.sign(np.sin(xx / period * np.pi) * np.sin(yy / period * np.pi))
    else:
        cy, cx = rng.uniform(0.3, 0.7, 2) * (h, w)
        base = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (0.05 * h * w)) * 2 - 1
    tint = rng.uniform(0.5, 1.0, 3)
    img = (base[..., None] * 0.5 + 0.5) * tint * 255 + rng.normal(0, 12, (h, w, 3))
    return np.clip(img, 0, 255).astype("uint8")


def make_split(n, h, w):
    y = rng.integers(0, len(CFG.classes), n)
    x = np.stack([texture(k, h, w) for k in y])
    return x, y


x_train, y_train = make_split(256, 56, 56)
x_val, y_val = make_split(64, 56, 56)


@keras.saving.register_keras_serializable(package="rw125")
class ToFloat(layers.Layer):
    def call(self, x):
        return tf.cast(x, "float32")

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="rw125")
class ColorJitter(layers.Layer):
    """Per-image random brightness/contrast; identity at inference."""

    def __init__(self, strength=0.1, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.strength = strength
        self.seed_gen = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        if not training:
            return images
        batch = tf.shape(images)[0]
        scale = 1.0 + keras.random.uniform((batch, 1, 1, 1), -self.strength, self.strength, seed=self.seed_gen)
        shift = keras.random.uniform((batch, 1, 1, 1), -self.strength, self.strength, seed=self.seed_gen)
        mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
        return (images - mean) * scale + mean + shift

    def get_config(self):
        return {**super().get_config(), "strength": self.strength}


# Normalization adapted on pixels *after* the same geometric preprocessing
geometry = keras.Sequential([layers.Resizing(CFG.resize_to + 4, CFG.resize_to + 4),
                             layers.CenterCrop(CFG.crop_to, CFG.crop_to)], name="geometry")
pixel_norm = layers.Normalization(axis=-1, name="pixel_norm")
adapt_ds = tf.data.Dataset.from_tensor_slices(x_train).batch(64).map(lambda b: geometry(tf.cast(b, "float32")))
pixel_norm.adapt(adapt_ds)
print("per-channel mean:", np.round(np.squeeze(pixel_norm.mean), 1),
      "std:", np.round(np.sqrt(np.squeeze(pixel_norm.variance)), 1))


def build_model():
    inp = keras.Input(shape=(None, None, 3), dtype="uint8", name="image")
    # (a Lambda(tf.cast) here breaks on reload: `tf` isn't in scope of the deserialized lambda)
    x = ToFloat(name="to_float")(inp)
    x = layers.Resizing(CFG.resize_to + 4, CFG.resize_to + 4, name="resize")(x)
    # training: random crop; inference: RandomCrop falls back to a center crop + resize
    x = layers.RandomCrop(CFG.crop_to, CFG.crop_to, name="rand_crop")(x)
    x = pixel_norm(x)
    x = layers.RandomRotation(CFG.rotate, fill_mode="reflect", name="rand_rot")(x)
    x = layers.RandomZoom(CFG.zoom, fill_mode="reflect", name="rand_zoom")(x)
    x = ColorJitter(CFG.jitter, seed=3, name="jitter")(x)
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(48, 3, activation="relu")(x)
    x = layers.GlobalMaxPooling2D()(x)
    out = layers.Dense(len(CFG.classes), activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="texture_net")


model = build_model()
model.compile(optimizer=keras.optimizers.RMSprop(2e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(256).batch(32)
val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(32)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

os.makedirs(os.path.dirname(SAVE_PATH), exist_ok=True)
model.save(SAVE_PATH)
restored = keras.models.load_model(SAVE_PATH)

# the same weights should produce identical predictions, whatever the input size
for h, w in [(56, 56), (90, 70), (33, 48)]:
    x_odd, y_odd = make_split(6, h, w)
    p_orig = model.predict(x_odd, verbose=0)
    p_rest = restored.predict(x_odd, verbose=0)
    preds = [CFG.classes[i] for i in p_rest.argmax(-1)]
    print(f"{h}x{w}: max|diff|={np.abs(p_orig - p_rest).max():.2e} "
          f"acc={np.mean(p_rest.argmax(-1) == y_odd):.2f} preds={preds[:3]}")
