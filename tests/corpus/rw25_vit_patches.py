"""
Vision Transformer (ViT) for small-image classification.

Follows "An Image is Worth 16x16 Words" (Dosovitskiy et al., 2020):
images are split into non-overlapping patches, linearly projected,
prepended with a learnable [CLS] token and fed to a stack of
pre-norm transformer encoder blocks.

Two patch embedding strategies are provided:
  * "extract": tf.image.extract_patches + Dense projection
  * "conv":    strided Conv2D + reshape (the "hybrid"/timm-style stem)

Random data with CIFAR-like shapes is used so the script runs offline.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ----------------------------------------------------------------------------
# Hyperparameters
# ----------------------------------------------------------------------------
num_classes = 10
input_shape = (32, 32, 3)

learning_rate = 1e-3
weight_decay = 1e-4
batch_size = 32
num_epochs = 1
image_size = 48  # inputs are resized to this size
patch_size = 6
num_patches = (image_size // patch_size) ** 2
projection_dim = 64
num_heads = 4
transformer_units = [projection_dim * 2, projection_dim]
transformer_layers = 4
mlp_head_units = [256, 128]

# ----------------------------------------------------------------------------
# Data (synthetic stand-in for CIFAR-10)
# ----------------------------------------------------------------------------
rng = np.random.default_rng(42)
x_train = rng.integers(0, 256, size=(256,) + input_shape).astype("float32")
y_train = rng.integers(0, num_classes, size=(256, 1))
x_test = rng.integers(0, 256, size=(64,) + input_shape).astype("float32")
y_test = rng.integers(0, num_classes, size=(64, 1))
print(f"x_train shape: {x_train.shape} - y_train shape: {y_train.shape}")
print(f"x_test shape: {x_test.shape} - y_test shape: {y_test.shape}")

data_augmentation = keras.Sequential(
    [
        layers.Normalization(),
        layers.Resizing(image_size, image_size),
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(factor=0.02),
        layers.RandomZoom(height_factor=0.2, width_factor=0.2),
    ],
    name="data_augmentation",
)
# Compute the mean and the variance of the training data for normalization.
data_augmentation.layers[0].adapt(x_train)


def mlp(x, hidden_units, dropout_rate):
    for units in hidden_units:
        x = layers.Dense(units, activation=keras.activations.gelu)(x)
        x = layers.Dropout(dropout_rate)(x)
    return x


class Patches(layers.Layer):
    """Splits images into flattened (patch_size * patch_size * C) vectors."""

    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch = tf.shape(images)[0]
        patches = tf.image.extract_patches(
            images=images,
            sizes=[1, self.patch_size, self.patch_size, 1],
            strides=[1, self.patch_size, self.patch_size, 1],
            rates=[1, 1, 1, 1],
            padding="VALID",
        )
        patch_dims = patches.shape[-1]
        patches = tf.reshape(patches, [batch, -1, patch_dims])
        return patches

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size})
        return config


class ConvPatchEmbed(layers.Layer):
    """Patchify with a kernel=stride Conv2D, then flatten the spatial grid."""

    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.proj = layers.Conv2D(
            embed_dim, kernel_size=patch_size, strides=patch_size, padding="valid"
        )

    def call(self, images):
        x = self.proj(images)  # (B, H/p, W/p, D)
        h, w = x.shape[1], x.shape[2]
        return tf.reshape(x, (-1, h * w, self.embed_dim))


class PatchEncoder(layers.Layer):
    """Optionally projects patches, prepends [CLS] and adds position embeddings."""

    def __init__(self, num_patches, projection_dim, project=True, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.projection_dim = projection_dim
        self.projection = layers.Dense(units=projection_dim) if project else None
        self.position_embedding = layers.Embedding(
            input_dim=num_patches + 1, output_dim=projection_dim
        )

    def build(self, input_shape):
        self.cls_token = self.add_weight(
            shape=(1, 1, self.projection_dim),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            trainable=True,
            name="cls_token",
        )
        super().build(input_shape)

    def call(self, patch):
        batch = tf.shape(patch)[0]
        if self.projection is not None:
            patch = self.projection(patch)
        cls_tokens = tf.broadcast_to(self.cls_token, [batch, 1, self.projection_dim])
        tokens = tf.concat([cls_tokens, patch], axis=1)
        positions = tf.expand_dims(tf.range(start=0, limit=self.num_patches + 1, delta=1), 0)
        return tokens + self.position_embedding(positions)


def create_vit_classifier(patch_mode="extract"):
    inputs = keras.Input(shape=input_shape)
    augmented = data_augmentation(inputs)

    if patch_mode == "extract":
        patches = Patches(patch_size)(augmented)
        encoded_patches = PatchEncoder(num_patches, projection_dim)(patches)
    elif patch_mode == "conv":
        patches = ConvPatchEmbed(patch_size, projection_dim)(augmented)
        encoded_patches = PatchEncoder(num_patches, projection_dim, project=False)(patches)
    else:
        raise ValueError(f"Unknown patch_mode: {patch_mode}")

    for i in range(transformer_layers):
        x1 = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
        attention_output = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=projection_dim // num_heads, dropout=0.1,
            name=f"encoder_{i}_mha",
        )(x1, x1)
        x2 = layers.Add()([attention_output, encoded_patches])
        x3 = layers.LayerNormalization(epsilon=1e-6)(x2)
        x3 = mlp(x3, hidden_units=transformer_units, dropout_rate=0.1)
        encoded_patches = layers.Add()([x3, x2])

    representation = layers.LayerNormalization(epsilon=1e-6)(encoded_patches)
    cls_representation = representation[:, 0]
    features = mlp(cls_representation, hidden_units=mlp_head_units, dropout_rate=0.5)
    logits = layers.Dense(num_classes)(features)
    return keras.Model(inputs=inputs, outputs=logits, name=f"vit_{patch_mode}")


def run_experiment(model):
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[
            keras.metrics.SparseCategoricalAccuracy(name="accuracy"),
            keras.metrics.SparseTopKCategoricalAccuracy(5, name="top-5-accuracy"),
        ],
    )
    history = model.fit(
        x=x_train,
        y=y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_split=0.1,
        verbose=2,
    )
    _, accuracy, top_5_accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test accuracy: {round(accuracy * 100, 2)}%")
    print(f"Test top 5 accuracy: {round(top_5_accuracy * 100, 2)}%")
    return history


if __name__ == "__main__":
    # Sanity-check the patch extractor on a single resized image.
    image = tf.image.resize(tf.convert_to_tensor([x_train[0]]), size=(image_size, image_size))
    patches = Patches(patch_size)(image)
    print(f"Image size: {image_size} X {image_size}")
    print(f"Patch size: {patch_size} X {patch_size}")
    print(f"Patches per image: {patches.shape[1]}")
    print(f"Elements per patch: {patches.shape[-1]}")

    vit_classifier = create_vit_classifier("extract")
    history = run_experiment(vit_classifier)

    hybrid = create_vit_classifier("conv")
    logits = hybrid.predict(x_test[:8], verbose=0)
    print("hybrid ViT logits:", logits.shape, "params:", hybrid.count_params())
