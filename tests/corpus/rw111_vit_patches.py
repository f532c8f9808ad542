"""Tiny Vision Transformer on synthetic 32x32 images.

Patches are cut with tf.image.extract_patches, projected linearly, a learnable
[CLS] token is prepended and learned position embeddings are added.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SIZE = 32
PATCH_SIZE = 4
NUM_PATCHES = (IMAGE_SIZE // PATCH_SIZE) ** 2
PROJECTION_DIM = 48
NUM_HEADS = 4
TRANSFORMER_LAYERS = 2
MLP_UNITS = [PROJECTION_DIM * 2, PROJECTION_DIM]
NUM_CLASSES = 4
BATCH_SIZE = 32
EPOCHS = 2

rng = np.random.default_rng(7)


def make_synthetic_dataset(n=384):
    """Each class is a different oriented stripe pattern plus noise."""
    xs = np.zeros((n, IMAGE_SIZE, IMAGE_SIZE, 3), dtype="float32")
    ys = rng.integers(0, NUM_CLASSES, size=n)
    yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    for i, label in enumerate(ys):
        if label == 0:
            pattern = np.sin(xx / 2.0)
        elif label == 1:
            pattern = np.sin(yy / 2.0)
        elif label == 2:
            pattern = np.sin((xx + yy) / 3.0)
        else:
            pattern = ((xx // 8 + yy // 8) % 2).astype("float32") * 2 - 1
        img = np.stack([pattern] * 3, axis=-1)
        img += rng.normal(0, 0.3, size=img.shape)
        xs[i] = img
    xs = (xs - xs.mean()) / (xs.std() + 1e-6)
    return xs.astype("float32"), ys.astype("int32")


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch_size = tf.shape(images)[0]
        patches = tf.image.extract_patches(
            images=images,
            sizes=[1, self.patch_size, self.patch_size, 1],
            strides=[1, self.patch_size, self.patch_size, 1],
            rates=[1, 1, 1, 1],
            padding="VALID",
        )
        patch_dims = patches.shape[-1]
        return tf.reshape(patches, [batch_size, -1, patch_dims])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"patch_size": self.patch_size})
        return cfg


class PatchEncoder(layers.Layer):
    """Linear projection + [CLS] token + learned positional embedding."""

    def __init__(self, num_patches, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.projection_dim = projection_dim
        self.projection = layers.Dense(projection_dim)
        self.position_embedding = layers.Embedding(
            input_dim=num_patches + 1, output_dim=projection_dim
        )

    def build(self, input_shape):
        self.cls_token = self.add_weight(
            name="cls_token",
            shape=(1, 1, self.projection_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            trainable=True,
        )
        super().build(input_shape)

    def call(self, patch):
        batch_size = tf.shape(patch)[0]
        tokens = self.projection(patch)
        cls = tf.tile(self.cls_token, [batch_size, 1, 1])
        tokens = tf.concat([cls, tokens], axis=1)
        positions = tf.range(start=0, limit=self.num_patches + 1, delta=1)
        return tokens + self.position_embedding(positions)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(
            {"num_patches": self.num_patches, "projection_dim": self.projection_dim}
        )
        return cfg


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


def build_vit():
    inputs = keras.Input(shape=(IMAGE_SIZE, IMAGE_SIZE, 3))
    patches = Patches(PATCH_SIZE, name="patches")(inputs)
    encoded = PatchEncoder(NUM_PATCHES, PROJECTION_DIM, name="patch_encoder")(patches)

    for i in range(TRANSFORMER_LAYERS):
        x1 = layers.LayerNormalization(epsilon=1e-6, name=f"ln1_{i}")(encoded)
        attn = layers.MultiHeadAttention(
            num_heads=NUM_HEADS,
            key_dim=PROJECTION_DIM // NUM_HEADS,
            dropout=0.1,
            name=f"mha_{i}",
        )(x1, x1)
        x2 = layers.Add()([attn, encoded])
        x3 = layers.LayerNormalization(epsilon=1e-6, name=f"ln2_{i}")(x2)
        x3 = mlp(x3, MLP_UNITS, dropout_rate=0.1)
        encoded = layers.Add()([x3, x2])

    rep = layers.LayerNormalization(epsilon=1e-6)(encoded)
    cls_out = layers.Lambda(lambda t: t[:, 0], name="take_cls")(rep)
    cls_out = layers.Dropout(0.2)(cls_out)
    logits = layers.Dense(NUM_CLASSES, name="head")(cls_out)
    return keras.Model(inputs, logits, name="tiny_vit")


def main():
    x, y = make_synthetic_dataset()
    split = int(0.8 * len(x))
    x_train, y_train = x[:split], y[:split]
    x_val, y_val = x[split:], y[split:]

    # sanity check the patch layer
    sample = Patches(PATCH_SIZE)(x_train[:2])
    print(f"patches per image: {sample.shape[1]}, values per patch: {sample.shape[2]}")
    assert sample.shape[1] == NUM_PATCHES

    model = build_vit()
    model.summary(line_length=100, expand_nested=False)

    optimizer = keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="acc"),
            keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2"),
        ],
    )

    history = model.fit(
        x_train,
        y_train,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        validation_data=(x_val, y_val),
        verbose=2,
    )
    loss, acc, top2 = model.evaluate(x_val, y_val, verbose=0)
    print(f"val loss={loss:.4f} acc={acc:.3f} top2={top2:.3f}")
    print("history keys:", sorted(history.history.keys()))

    preds = np.argmax(model.predict(x_val[:8], verbose=0), axis=-1)
    print("pred:", preds.tolist())
    print("true:", y_val[:8].tolist())


if __name__ == "__main__":
    main()
