"""MLP-Mixer for small-image classification (Tolstikhin et al., 2021).

Token-mixing and channel-mixing MLPs implemented as subclassed Keras layers using
``keras.ops``. The stem is a strided Conv2D ("per-patch fully connected"), which
is equivalent to the usual extract-patches + Dense projection.

Trains on synthetic data fed through a tf.data pipeline.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "image_size": 32,
    "channels": 3,
    "num_classes": 10,
    "patch_size": 4,
    "hidden_dim": 64,
    "tokens_mlp_dim": 32,
    "channels_mlp_dim": 128,
    "num_blocks": 2,
    "dropout_rate": 0.1,
    "batch_size": 32,
    "num_train": 192,
    "num_val": 64,
    "epochs": 1,
    "lr": 3e-3,
}


class MlpBlock(layers.Layer):
    """Dense -> GELU -> Dense, the building block used for both mixing steps."""

    def __init__(self, mlp_dim, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mlp_dim = mlp_dim
        self.dropout_rate = dropout_rate

    def build(self, input_shape):
        out_dim = input_shape[-1]
        self.fc1 = layers.Dense(self.mlp_dim)
        self.fc2 = layers.Dense(out_dim)
        self.drop = layers.Dropout(self.dropout_rate)
        self.fc1.build(input_shape)
        self.fc2.build(tuple(input_shape[:-1]) + (self.mlp_dim,))
        super().build(input_shape)

    def call(self, x, training=False):
        y = self.fc1(x)
        y = ops.gelu(y)
        y = self.drop(y, training=training)
        return self.fc2(y)


class MixerBlock(layers.Layer):
    """One Mixer layer: token mixing (across patches) then channel mixing."""

    def __init__(self, tokens_mlp_dim, channels_mlp_dim, dropout_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.token_mixing = MlpBlock(tokens_mlp_dim, dropout_rate, name="token_mixing")
        self.channel_mixing = MlpBlock(channels_mlp_dim, dropout_rate, name="channel_mixing")

    def call(self, x, training=False):
        # x: (batch, num_patches, hidden_dim)
        y = self.norm1(x)
        y = ops.transpose(y, axes=(0, 2, 1))  # (batch, hidden_dim, num_patches)
        y = self.token_mixing(y, training=training)
        y = ops.transpose(y, axes=(0, 2, 1))  # back to (batch, num_patches, hidden_dim)
        x = x + y
        y = self.norm2(x)
        y = self.channel_mixing(y, training=training)
        return x + y


def build_mlp_mixer(cfg):
    size, ch = cfg["image_size"], cfg["channels"]
    p = cfg["patch_size"]
    num_patches = (size // p) ** 2

    inputs = keras.Input(shape=(size, size, ch), name="image")
    x = layers.Rescaling(1.0 / 255)(inputs)
    # per-patch fully-connected == conv with kernel=stride=patch
    x = layers.Conv2D(cfg["hidden_dim"], kernel_size=p, strides=p, name="stem")(x)
    x = layers.Reshape((num_patches, cfg["hidden_dim"]), name="to_tokens")(x)

    for i in range(cfg["num_blocks"]):
        x = MixerBlock(
            cfg["tokens_mlp_dim"],
            cfg["channels_mlp_dim"],
            cfg["dropout_rate"],
            name=f"mixer_block_{i}",
        )(x)

    x = layers.LayerNormalization(epsilon=1e-6, name="pre_head_norm")(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(cfg["dropout_rate"])(x)
    outputs = layers.Dense(cfg["num_classes"], activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="mlp_mixer")


def make_dataset(n, cfg, training):
    size, ch = cfg["image_size"], cfg["channels"]
    images = np.random.randint(0, 256, size=(n, size, size, ch)).astype("uint8")
    labels = np.random.randint(0, cfg["num_classes"], size=(n,)).astype("int32")

    def preprocess(image, label):
        image = tf.cast(image, tf.float32)
        if training:
            image = tf.image.random_flip_left_right(image)
            # pad-and-crop augmentation
            image = tf.image.resize_with_crop_or_pad(image, size + 4, size + 4)
            image = tf.image.random_crop(image, [size, size, ch])
        return image, label

    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if training:
        ds = ds.shuffle(n, seed=0)
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)


def main():
    keras.utils.set_random_seed(1234)
    train_ds = make_dataset(CONFIG["num_train"], CONFIG, training=True)
    val_ds = make_dataset(CONFIG["num_val"], CONFIG, training=False)

    for images, labels in train_ds.take(1):
        print("batch:", images.shape, labels.shape)

    model = build_mlp_mixer(CONFIG)
    model.summary()

    steps = CONFIG["epochs"] * (CONFIG["num_train"] // CONFIG["batch_size"])
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=CONFIG["lr"], decay_steps=steps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)

    # Inspect token-mixing weights of the first block: they act on the patch axis.
    block = model.get_layer("mixer_block_0")
    w = block.token_mixing.fc1.kernel
    print("token-mixing fc1 kernel:", tuple(w.shape), "(num_patches, tokens_mlp_dim)")

    probs = model.predict(val_ds.take(1), verbose=0)
    print("predictions:", probs.shape, "row sums ~1:", np.allclose(probs.sum(-1), 1.0, atol=1e-4))


if __name__ == "__main__":
    main()
