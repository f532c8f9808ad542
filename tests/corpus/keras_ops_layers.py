"""Custom layers written with keras.ops, and keras.ops used directly on symbolic tensors."""

import keras
import numpy as np
from keras import layers, ops


class PatchExtractor(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        batch = ops.shape(images)[0]
        patches = ops.image.extract_patches(images, size=self.patch_size)
        num_patches = patches.shape[1] * patches.shape[2]
        return ops.reshape(patches, (batch, num_patches, patches.shape[-1]))


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.projection = layers.Dense(projection_dim)
        self.position_embedding = layers.Embedding(input_dim=num_patches, output_dim=projection_dim)

    def call(self, patch):
        positions = ops.expand_dims(ops.arange(start=0, stop=self.num_patches, step=1), axis=0)
        projected = self.projection(patch)
        return projected + self.position_embedding(positions)


image_size = 32
patch_size = 8
num_patches = (image_size // patch_size) ** 2

inputs = keras.Input(shape=(image_size, image_size, 3))
patches = PatchExtractor(patch_size)(inputs)
encoded = PatchEncoder(num_patches, 64)(patches)
attended = layers.MultiHeadAttention(num_heads=4, key_dim=16, dropout=0.1)(encoded, encoded)
x = layers.Add()([attended, encoded])
x = layers.LayerNormalization(epsilon=1e-6)(x)
pooled = ops.mean(x, axis=1)
logits = layers.Dense(10)(pooled)
model = keras.Model(inputs, logits)

images = np.random.rand(8, image_size, image_size, 3).astype("float32")
model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(images, np.random.randint(0, 10, 8), epochs=1, verbose=0)
direct_patches = PatchExtractor(patch_size)(images)
