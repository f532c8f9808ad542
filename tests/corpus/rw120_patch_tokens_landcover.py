# Patch-token model for multispectral scenes.
# Scenes -> tf.image.extract_patches inside a custom layer -> linear projection
# + learned position embedding -> a couple of transformer blocks -> scene label.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = dict(
    image_size=48,
    bands=13,
    patch=8,
    embed_dim=64,
    heads=4,
    depth=2,
    mlp_ratio=2,
    n_classes=4,
    n_samples=256,
    batch_size=32,
    epochs=2,
    lr=3e-4,
)
N_PATCHES = (CFG["image_size"] // CFG["patch"]) ** 2

np.random.seed(0)
keras.utils.set_random_seed(0)


def synth_scenes(n):
    """Each class gets a different spatial frequency pattern in a random subset of bands."""
    s, b = CFG["image_size"], CFG["bands"]
    yy, xx = np.meshgrid(np.linspace(0, 1, s), np.linspace(0, 1, s), indexing="ij")
    y = np.random.randint(0, CFG["n_classes"], size=n)
    x = np.random.normal(0, 0.2, size=(n, s, s, b)).astype("float32")
    for i, c in enumerate(y):
        freq = 2 + 3 * c
        pattern = np.sin(2 * np.pi * freq * xx) * np.cos(2 * np.pi * freq * yy)
        bands_on = np.arange(c, b, CFG["n_classes"])
        x[i, :, :, bands_on] += pattern.astype("float32")
    return x, y


class PatchExtractor(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, images):
        p = self.patch_size
        patches = tf.image.extract_patches(
            images=images,
            sizes=[1, p, p, 1],
            strides=[1, p, p, 1],
            rates=[1, 1, 1, 1],
            padding="VALID",
        )
        batch = tf.shape(patches)[0]
        dim = patches.shape[-1]
        return tf.reshape(patches, [batch, -1, dim])

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"patch_size": self.patch_size})
        return cfg


class PatchEncoder(layers.Layer):
    def __init__(self, num_patches, dim, **kwargs):
        super().__init__(**kwargs)
        self.num_patches = num_patches
        self.proj = layers.Dense(dim)
        self.pos = layers.Embedding(num_patches, dim)

    def call(self, patches):
        positions = ops.arange(self.num_patches)
        return self.proj(patches) + self.pos(positions)


def transformer_block(x, dim, heads, mlp_ratio, idx):
    h = layers.LayerNormalization(epsilon=1e-6, name=f"ln1_{idx}")(x)
    h = layers.MultiHeadAttention(heads, key_dim=dim // heads, dropout=0.1, name=f"mha_{idx}")(h, h)
    x = layers.Add()([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"ln2_{idx}")(x)
    h = layers.Dense(dim * mlp_ratio, activation="gelu")(h)
    h = layers.Dense(dim)(h)
    return layers.Add()([x, h])


def build(cfg):
    inputs = keras.Input((cfg["image_size"], cfg["image_size"], cfg["bands"]))
    tokens = PatchExtractor(cfg["patch"], name="patches")(inputs)
    x = PatchEncoder(N_PATCHES, cfg["embed_dim"], name="patch_embed")(tokens)
    for d in range(cfg["depth"]):
        x = transformer_block(x, cfg["embed_dim"], cfg["heads"], cfg["mlp_ratio"], d)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(cfg["n_classes"])(x)
    return keras.Model(inputs, outputs, name="tiny_vit_ms")


X, Y = synth_scenes(CFG["n_samples"])
split = int(0.8 * len(X))

# sanity check the patch grid on one image before training
sample_patches = PatchExtractor(CFG["patch"])(X[:1])
print(f"patch tensor: {sample_patches.shape}, expected ({1}, {N_PATCHES}, {CFG['patch']**2 * CFG['bands']})")
assert sample_patches.shape[1] == N_PATCHES

train_ds = (
    tf.data.Dataset.from_tensor_slices((X[:split], Y[:split]))
    .shuffle(512, seed=0)
    .batch(CFG["batch_size"])
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((X[split:], Y[split:])).batch(CFG["batch_size"])

model = build(CFG)
model.compile(
    optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=1e-4),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)
loss, acc = model.evaluate(val_ds, verbose=0)
print(f"val loss {loss:.4f} | val acc {acc:.3f}")
