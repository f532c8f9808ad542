"""Tiny Swin-style image classifier written with backend-agnostic keras.ops.

Images are cut into patches with ops.image.extract_patches, projected to an
embedding, then processed by window-based self-attention blocks (one regular,
one shifted via ops.roll).  Window partition / reverse are implemented with
ops.reshape + ops.transpose.  Trained for one short epoch on random data.
"""
import numpy as np
import keras
from keras import layers, ops

IMAGE_SIZE = 32
PATCH_SIZE = 4
NUM_PATCHES = IMAGE_SIZE // PATCH_SIZE  # 8 x 8 grid
EMBED_DIM = 48
WINDOW = 4
NUM_HEADS = 4
NUM_CLASSES = 10


def window_partition(x, window_size):
    # (B, H, W, C) -> (B * nW, ws*ws, C)
    _, h, w, c = x.shape
    x = ops.reshape(x, (-1, h // window_size, window_size, w // window_size, window_size, c))
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, window_size * window_size, c))


def window_reverse(windows, window_size, height, width, channels):
    x = ops.reshape(
        windows,
        (-1, height // window_size, width // window_size, window_size, window_size, channels),
    )
    x = ops.transpose(x, (0, 1, 3, 2, 4, 5))
    return ops.reshape(x, (-1, height, width, channels))


@keras.saving.register_keras_serializable(package="rw13")
class PatchEmbed(layers.Layer):
    def __init__(self, patch_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size
        self.embed_dim = embed_dim
        self.proj = layers.Dense(embed_dim)
        self.norm = layers.LayerNormalization(epsilon=1e-5)

    def call(self, images):
        patches = ops.image.extract_patches(images, size=self.patch_size)
        return self.norm(self.proj(patches))  # (B, gh, gw, embed_dim)

    def get_config(self):
        config = super().get_config()
        config.update({"patch_size": self.patch_size, "embed_dim": self.embed_dim})
        return config


@keras.saving.register_keras_serializable(package="rw13")
class SwinBlock(layers.Layer):
    def __init__(self, dim, num_heads, window_size, shift_size=0, mlp_ratio=2.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.num_heads = num_heads
        self.window_size = window_size
        self.shift_size = shift_size
        self.mlp_ratio = mlp_ratio
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = layers.MultiHeadAttention(num_heads, key_dim=dim // num_heads)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential(
            [layers.Dense(int(dim * mlp_ratio), activation="gelu"), layers.Dense(dim)]
        )

    def call(self, x):
        _, h, w, c = x.shape
        shortcut = x
        x = self.norm1(x)
        if self.shift_size > 0:
            x = ops.roll(x, shift=(-self.shift_size, -self.shift_size), axis=(1, 2))
        windows = window_partition(x, self.window_size)
        attn_windows = self.attn(windows, windows)
        x = window_reverse(attn_windows, self.window_size, h, w, c)
        if self.shift_size > 0:
            x = ops.roll(x, shift=(self.shift_size, self.shift_size), axis=(1, 2))
        x = shortcut + x
        return x + self.mlp(self.norm2(x))

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "dim": self.dim,
                "num_heads": self.num_heads,
                "window_size": self.window_size,
                "shift_size": self.shift_size,
                "mlp_ratio": self.mlp_ratio,
            }
        )
        return config


def build_model():
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = PatchEmbed(PATCH_SIZE, EMBED_DIM)(x)
    x = SwinBlock(EMBED_DIM, NUM_HEADS, WINDOW, shift_size=0)(x)
    x = SwinBlock(EMBED_DIM, NUM_HEADS, WINDOW, shift_size=WINDOW // 2)(x)
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="tiny_swin")


if __name__ == "__main__":
    keras.utils.set_random_seed(13)
    x_train = np.random.randint(0, 256, size=(64, IMAGE_SIZE, IMAGE_SIZE, 3)).astype("float32")
    y_train = np.random.randint(0, NUM_CLASSES, size=(64,))

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary()
    model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=2)

    preds = model.predict(x_train[:4], verbose=0)
    print("pred shape:", preds.shape, "row sums:", np.round(preds.sum(axis=1), 3))
