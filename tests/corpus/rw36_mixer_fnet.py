# MLP-Mixer vs FNet token mixing on small synthetic images.
# Backend agnostic: only keras.ops inside the layers.
import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(42)

CFG = dict(
    num_classes=5,
    image_size=32,
    patch_size=8,
    embedding_dim=64,
    num_blocks=2,
    dropout_rate=0.2,
    batch_size=16,
    epochs=1,
)
CFG["num_patches"] = (CFG["image_size"] // CFG["patch_size"]) ** 2


class Patches(layers.Layer):
    def __init__(self, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = patch_size

    def call(self, x):
        patches = ops.image.extract_patches(x, self.patch_size)
        batch_size = ops.shape(patches)[0]
        num_patches = ops.shape(patches)[1] * ops.shape(patches)[2]
        patch_dim = ops.shape(patches)[3]
        out = ops.reshape(patches, (batch_size, num_patches, patch_dim))
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


class FNetLayer(layers.Layer):
    def __init__(self, embedding_dim, dropout_rate, *args, **kwargs):
        super().__init__(*args, **kwargs)

        self.ffn = keras.Sequential(
            [
                layers.Dense(units=embedding_dim, activation="gelu"),
                layers.Dropout(rate=dropout_rate),
                layers.Dense(units=embedding_dim),
            ]
        )

        self.normalize1 = layers.LayerNormalization(epsilon=1e-6)
        self.normalize2 = layers.LayerNormalization(epsilon=1e-6)

    def call(self, inputs):
        # Apply fourier transformations.
        real_part = inputs
        im_part = ops.zeros_like(inputs)
        x = ops.fft2((real_part, im_part))[0]
        # Add skip connection.
        x = x + inputs
        # Apply layer normalization.
        x = self.normalize1(x)
        # Apply Feedfowrad network.
        x_ffn = self.ffn(x)
        # Add skip connection.
        x = x + x_ffn
        # Apply layer normalization.
        return self.normalize2(x)


def build_classifier(blocks, positional_encoding=False):
    inputs = layers.Input(shape=(CFG["image_size"], CFG["image_size"], 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    # Create patches.
    patches = Patches(CFG["patch_size"])(x)
    # Encode patches to generate a [batch_size, num_patches, embedding_dim] tensor.
    x = layers.Dense(units=CFG["embedding_dim"])(patches)
    if positional_encoding:
        x = x + PositionEmbedding(sequence_length=CFG["num_patches"])(x)
    # Process x using the module blocks.
    x = blocks(x)
    # Apply global average pooling to generate a [batch_size, embedding_dim] representation tensor.
    representation = layers.GlobalAveragePooling1D()(x)
    # Apply dropout.
    representation = layers.Dropout(rate=CFG["dropout_rate"])(representation)
    # Compute logits outputs.
    logits = layers.Dense(CFG["num_classes"])(representation)
    # Create the Keras model.
    return keras.Model(inputs=inputs, outputs=logits)


class PositionEmbedding(layers.Layer):
    def __init__(self, sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.sequence_length = int(sequence_length)
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        feature_size = input_shape[-1]
        self.position_embeddings = self.add_weight(
            name="embeddings",
            shape=[self.sequence_length, feature_size],
            initializer=self.initializer,
            trainable=True,
        )

    def call(self, inputs, start_index=0):
        shape = ops.shape(inputs)
        feature_length = shape[-1]
        sequence_length = shape[-2]
        position_embeddings = ops.convert_to_tensor(self.position_embeddings)
        position_embeddings = ops.slice(
            position_embeddings,
            (start_index, 0),
            (sequence_length, feature_length),
        )
        return ops.broadcast_to(position_embeddings, shape)

    def compute_output_shape(self, input_shape):
        return input_shape


# fake data: noise images with labels
n = 160
x_data = np.random.uniform(0, 255, (n, CFG["image_size"], CFG["image_size"], 3)).astype("float32")
y_data = np.random.randint(0, CFG["num_classes"], (n,))

results = {}
for name in ["mixer", "fnet"]:
    if name == "mixer":
        blocks = keras.Sequential(
            [MLPMixerLayer(CFG["num_patches"], CFG["embedding_dim"], CFG["dropout_rate"]) for _ in range(CFG["num_blocks"])]
        )
        model = build_classifier(blocks)
    else:
        blocks = keras.Sequential(
            [FNetLayer(CFG["embedding_dim"], CFG["dropout_rate"]) for _ in range(CFG["num_blocks"])]
        )
        model = build_classifier(blocks, positional_encoding=True)

    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=0.005, weight_decay=0.0001),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    hist = model.fit(x_data, y_data, batch_size=CFG["batch_size"], epochs=CFG["epochs"], validation_split=0.2, verbose=0)
    out = model(x_data[:4], training=False)
    print(name, "params:", model.count_params(), "logits shape:", tuple(out.shape))
    results[name] = hist.history["val_acc"][-1]

print(results)
