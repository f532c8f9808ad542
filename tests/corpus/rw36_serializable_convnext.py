"""
ConvNeXt-style blocks as serializable Keras 3 layers.

Shows the full save/load cycle: every custom layer implements get_config,
nested sublayers are serialized with keras.saving.serialize_keras_object,
and everything is registered so `keras.saving.load_model` just works.
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="convnext_mini")
class StochasticDepth(layers.Layer):
    def __init__(self, drop_path_rate=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.drop_path_rate = drop_path_rate
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if training and self.drop_path_rate > 0.0:
            keep_prob = 1 - self.drop_path_rate
            shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
            random_tensor = keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator)
            random_tensor = ops.floor(random_tensor)
            return (x / keep_prob) * random_tensor
        return x

    def get_config(self):
        config = super().get_config()
        config.update({"drop_path_rate": self.drop_path_rate, "seed": self.seed})
        return config


@keras.saving.register_keras_serializable(package="convnext_mini")
class LayerScale(layers.Layer):
    def __init__(self, init_values, projection_dim, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(
            shape=(self.projection_dim,),
            initializer=keras.initializers.Constant(self.init_values),
            trainable=True,
            name="gamma",
        )

    def call(self, x):
        return x * ops.cast(self.gamma, x.dtype)

    def get_config(self):
        config = super().get_config()
        config.update({"init_values": self.init_values, "projection_dim": self.projection_dim})
        return config


@keras.saving.register_keras_serializable(package="convnext_mini")
class ConvNeXtBlock(layers.Layer):
    def __init__(self, projection_dim, drop_path_rate=0.0, layer_scale_init_value=1e-6,
                 activation=None, **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = projection_dim
        self.drop_path_rate = drop_path_rate
        self.layer_scale_init_value = layer_scale_init_value
        # activation can be a string or a layer -> keep it as a proper object
        self.activation = activation if activation is not None else layers.Activation("gelu")

        self.dwconv = layers.DepthwiseConv2D(kernel_size=7, padding="same")
        self.norm = layers.LayerNormalization(epsilon=1e-6)
        self.pw1 = layers.Dense(4 * projection_dim)
        self.pw2 = layers.Dense(projection_dim)
        self.gamma = LayerScale(layer_scale_init_value, projection_dim)
        self.drop_path = StochasticDepth(drop_path_rate)

    def build(self, input_shape):
        self.dwconv.build(input_shape)
        self.norm.build(input_shape)
        self.pw1.build(input_shape)
        hidden_shape = tuple(input_shape[:-1]) + (4 * self.projection_dim,)
        self.pw2.build(hidden_shape)
        self.gamma.build(input_shape)
        self.built = True

    def call(self, inputs, training=None):
        x = self.dwconv(inputs)
        x = self.norm(x)
        x = self.pw1(x)
        x = self.activation(x)
        x = self.pw2(x)
        x = self.gamma(x)
        return inputs + self.drop_path(x, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "projection_dim": self.projection_dim,
                "drop_path_rate": self.drop_path_rate,
                "layer_scale_init_value": self.layer_scale_init_value,
                "activation": keras.saving.serialize_keras_object(self.activation),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config["activation"] = keras.saving.deserialize_keras_object(config["activation"])
        return cls(**config)


def downsample(x, filters, name):
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
    return layers.Conv2D(filters, kernel_size=2, strides=2, name=f"{name}_conv")(x)


def convnext_mini(input_shape=(64, 64, 3), depths=(1, 1, 2), dims=(16, 32, 64),
                  drop_path_rate=0.1, num_classes=4):
    inputs = keras.Input(input_shape)
    x = layers.Conv2D(dims[0], kernel_size=4, strides=4, name="stem_conv")(inputs)
    x = layers.LayerNormalization(epsilon=1e-6, name="stem_ln")(x)

    dp_rates = list(np.linspace(0.0, drop_path_rate, sum(depths)))
    cur = 0
    for stage, (depth, dim) in enumerate(zip(depths, dims)):
        if stage > 0:
            x = downsample(x, dim, name=f"down{stage}")
        for j in range(depth):
            x = ConvNeXtBlock(dim, drop_path_rate=float(dp_rates[cur + j]),
                              name=f"stage{stage}_block{j}")(x)
        cur += depth
        print(f"stage {stage}: {x.shape}")

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    outputs = layers.Dense(num_classes, name="head")(x)
    return keras.Model(inputs, outputs, name="convnext_mini")


model = convnext_mini()
block = model.get_layer("stage2_block1")
print("block compute_output_shape:", block.compute_output_shape((None, 4, 4, 64)))

x = np.random.normal(size=(48, 64, 64, 3)).astype("float32")
y = keras.utils.to_categorical(np.random.randint(0, 4, size=48), 4)
model.compile(
    optimizer=keras.optimizers.AdamW(1e-3),
    loss=keras.losses.CategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(x, y, epochs=1, batch_size=16, verbose=2)

# --- round trip ---
ref = model.predict(x[:6], verbose=0)
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "convnext_mini.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    out = restored.predict(x[:6], verbose=0)
print("max abs diff after reload:", float(np.max(np.abs(ref - out))))

# config-only clone (fresh weights, same architecture)
cfg = block.get_config()
print("registered name:", keras.saving.get_registered_name(ConvNeXtBlock))
new_block = ConvNeXtBlock.from_config(cfg)
feat = new_block(ops.ones((2, 8, 8, 64)))
print("cloned block output:", feat.shape, "weights:", len(new_block.weights))
