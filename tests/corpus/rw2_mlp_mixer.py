# MLP-Mixer for small image classification
# (token mixing via Permute + Dense, channel mixing via Dense)
import numpy as np
import keras
from keras import layers
from keras import ops

num_classes = 10
input_shape = (32, 32, 3)

image_size = 32
patch_size = 4
num_patches = (image_size // patch_size) ** 2  # 64
embedding_dim = 48
num_blocks = 2
dropout_rate = 0.1
batch_size = 16
num_epochs = 1
learning_rate = 0.005

x_train = np.random.rand(48, *input_shape).astype("float32")
y_train = np.random.randint(0, num_classes, size=(48,))
x_val = np.random.rand(16, *input_shape).astype("float32")
y_val = np.random.randint(0, num_classes, size=(16,))


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = keras.ops.image.extract_patches(x, self.patch_size)
        batch_size = keras.ops.shape(patches)[0]
        num_patches = keras.ops.shape(patches)[1] * keras.ops.shape(patches)[2]
        patch_dim = keras.ops.shape(patches)[3]
        out = keras.ops.reshape(patches, (batch_size, num_patches, patch_dim))
        return out


class MLPMixerLayer(layers.Layer):
    def __init__(self, num_patches, hidden_units, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.mlp1 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=num_patches),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.mlp2 = keras.Sequential(
            [
                layers.Dense(units=num_patches, activation="gelu"),
                layers.Dense(units=hidden_units),
                layers.Dropout(rate=dropout_rate),
            ]
        )
        self.normalize = layers.LayerNormalization(epsilon=1e-6)

    def build(self, input_shape):
        return super().build(input_shape)

    def call(self, inputs):
        # Apply layer normalization.
        x = self.normalize(inputs)
        # Transpose inputs from [num_batches, num_patches, hidden_units] to [num_batches, hidden_units, num_patches].
        x_channels = ops.transpose(x, axes=(0, 2, 1))
        # Apply mlp1 on each channel independently.
        mlp1_outputs = self.mlp1(x_channels)
        # Transpose mlp1_outputs from [num_batches, hidden_dim, num_patches] to [num_batches, num_patches, hidden_units].
        mlp1_outputs = ops.transpose(mlp1_outputs, axes=(0, 2, 1))
        # Add skip connection.
        x = mlp1_outputs + inputs
        # Apply layer normalization.
        x_patches = self.normalize(x)
        # Apply mlp2 on each patch independtenly.
        mlp2_outputs = self.mlp2(x_patches)
        # Add skip connection.
        x = x + mlp2_outputs
        return x


def token_mixing_block(x, tokens_mlp_dim, name):
    """Functional token-mixing: LN -> Permute -> MLP over tokens -> Permute back."""
    n_tokens = x.shape[1]
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
    y = layers.Permute((2, 1), name=f"{name}_permute_in")(y)
    y = layers.Dense(tokens_mlp_dim, name=f"{name}_fc1")(y)
    y = layers.Activation("gelu", name=f"{name}_gelu")(y)
    y = layers.Dense(n_tokens, name=f"{name}_fc2")(y)
    y = layers.Permute((2, 1), name=f"{name}_permute_out")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def channel_mixing_block(x, channels_mlp_dim, name):
    channels = x.shape[-1]
    y = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
    y = layers.Dense(channels_mlp_dim, activation="gelu", name=f"{name}_fc1")(y)
    y = layers.Dropout(dropout_rate)(y)
    y = layers.Dense(channels, name=f"{name}_fc2")(y)
    return layers.Add(name=f"{name}_add")([x, y])


def mixer_block(x, tokens_mlp_dim, channels_mlp_dim, idx):
    x = token_mixing_block(x, tokens_mlp_dim, name=f"block{idx}_token")
    x = channel_mixing_block(x, channels_mlp_dim, name=f"block{idx}_channel")
    return x


def build_classifier(blocks, positional_encoding=False):
    inputs = layers.Input(shape=input_shape)
    augmented = layers.RandomFlip("horizontal")(inputs)
    patches = Patches(patch_size)(augmented)
    x = layers.Dense(units=embedding_dim)(patches)
    if positional_encoding:
        x = x + keras.layers.Embedding(input_dim=num_patches, output_dim=embedding_dim)(
            ops.arange(start=0, stop=num_patches, step=1)
        )
    x = blocks(x)
    representation = layers.GlobalAveragePooling1D()(x)
    representation = layers.Dropout(rate=dropout_rate)(representation)
    logits = layers.Dense(num_classes)(representation)
    return keras.Model(inputs=inputs, outputs=logits)


def build_functional_mixer():
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Rescaling(scale=1.0 / 255)(inputs)
    x = layers.Conv2D(embedding_dim, patch_size, strides=patch_size, name="stem")(x)
    x = layers.Reshape((-1, embedding_dim), name="tokens")(x)
    for i in range(num_blocks):
        x = mixer_block(x, tokens_mlp_dim=32, channels_mlp_dim=96, idx=i)
    x = layers.LayerNormalization(epsilon=1e-6, name="pre_head_ln")(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="head")(x)
    return keras.Model(inputs, outputs, name="mlp_mixer_functional")


def run_experiment(model, loss, metrics):
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=1e-4)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=5)
    history = model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=num_epochs,
        validation_data=(x_val, y_val),
        callbacks=[reduce_lr],
        verbose=2,
    )
    _, accuracy = model.evaluate(x_val, y_val, verbose=0)
    print(f"Val accuracy: {round(accuracy * 100, 2)}%")
    return history


mlpmixer_blocks = keras.Sequential(
    [MLPMixerLayer(num_patches, embedding_dim, dropout_rate) for _ in range(num_blocks)]
)
mlpmixer_classifier = build_classifier(mlpmixer_blocks)
mlpmixer_classifier.summary()
run_experiment(
    mlpmixer_classifier,
    keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    [keras.metrics.SparseCategoricalAccuracy(name="acc")],
)

mixer = build_functional_mixer()
mixer.summary()
run_experiment(mixer, "sparse_categorical_crossentropy", ["accuracy"])
probs = mixer.predict(x_val[:4], verbose=0)
print(probs.shape, probs.sum(axis=-1))
