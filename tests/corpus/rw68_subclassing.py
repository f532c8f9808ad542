"""Making new layers and models via subclassing.

Follows the structure of the Keras guide: a Linear layer with lazy `build`,
a non-trainable ComputeSum accumulator, recursive layer composition (MLPBlock),
`add_loss` activity regularization, get_config/from_config serialization and
finally an end-to-end Variational AutoEncoder trained with a custom loop.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Linear(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="random_normal",
            trainable=True,
            name="w",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="b")

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


class ComputeSum(layers.Layer):
    """Keeps a running, non-trainable sum of its inputs along the batch axis."""

    def __init__(self, input_dim):
        super().__init__()
        self.total = self.add_weight(
            initializer="zeros", shape=(input_dim,), trainable=False, name="total"
        )

    def call(self, inputs):
        self.total.assign_add(tf.reduce_sum(inputs, axis=0))
        return self.total


class MLPBlock(layers.Layer):
    def __init__(self):
        super().__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = tf.nn.relu(x)
        x = self.linear_2(x)
        x = tf.nn.relu(x)
        return self.linear_3(x)


class ActivityRegularizationLayer(layers.Layer):
    def __init__(self, rate=1e-2):
        super().__init__()
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * tf.reduce_mean(inputs))
        return inputs


class OuterLayerWithKernelRegularizer(layers.Layer):
    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(32, kernel_regularizer=keras.regularizers.l2(1e-3))

    def call(self, inputs):
        return self.dense(inputs)


class CustomDropout(layers.Layer):
    """Dropout that honours the privileged `training` argument."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        if training:
            return keras.random.dropout(inputs, rate=self.rate, seed=self.seed_generator)
        return inputs


# ---------------------------------------------------------------------------
# VAE
# ---------------------------------------------------------------------------
class Sampling(layers.Layer):
    """Uses (z_mean, z_log_var) to sample z, the vector encoding a digit."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(42)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = tf.shape(z_mean)[0]
        dim = tf.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + tf.exp(0.5 * z_log_var) * epsilon


class Encoder(layers.Layer):
    def __init__(self, latent_dim=32, intermediate_dim=64, name="encoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_mean = layers.Dense(latent_dim)
        self.dense_log_var = layers.Dense(latent_dim)
        self.sampling = Sampling()

    def call(self, inputs):
        x = self.dense_proj(inputs)
        z_mean = self.dense_mean(x)
        z_log_var = self.dense_log_var(x)
        z = self.sampling((z_mean, z_log_var))
        return z_mean, z_log_var, z


class Decoder(layers.Layer):
    def __init__(self, original_dim, intermediate_dim=64, name="decoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.dense_proj = layers.Dense(intermediate_dim, activation="relu")
        self.dense_output = layers.Dense(original_dim, activation="sigmoid")

    def call(self, inputs):
        x = self.dense_proj(inputs)
        return self.dense_output(x)


class VariationalAutoEncoder(keras.Model):
    def __init__(self, original_dim, intermediate_dim=64, latent_dim=32, name="autoencoder", **kwargs):
        super().__init__(name=name, **kwargs)
        self.original_dim = original_dim
        self.encoder = Encoder(latent_dim=latent_dim, intermediate_dim=intermediate_dim)
        self.decoder = Decoder(original_dim, intermediate_dim=intermediate_dim)

    def call(self, inputs):
        z_mean, z_log_var, z = self.encoder(inputs)
        reconstructed = self.decoder(z)
        kl_loss = -0.5 * tf.reduce_mean(z_log_var - tf.square(z_mean) - tf.exp(z_log_var) + 1)
        self.add_loss(kl_loss)
        return reconstructed


def demo_layers():
    x = tf.ones((2, 2))
    linear_layer = Linear(4)
    y = linear_layer(x)
    print("Linear out:", y.shape, "weights:", len(linear_layer.weights))

    my_sum = ComputeSum(2)
    my_sum(x)
    print("ComputeSum after 2 calls:", my_sum(x).numpy())

    mlp = MLPBlock()
    y = mlp(tf.ones(shape=(3, 64)))
    print("MLPBlock weights:", len(mlp.weights), "trainable:", len(mlp.trainable_weights))

    reg = ActivityRegularizationLayer()
    _ = reg(tf.zeros((1, 1)))
    print("losses after call:", len(reg.losses))

    outer = OuterLayerWithKernelRegularizer()
    _ = outer(tf.zeros((1, 1)))
    print("kernel reg losses:", [float(l) for l in outer.losses])

    drop = CustomDropout(0.5)
    out = drop(tf.ones((4, 8)), training=True)
    print("dropout kept fraction ~", float(tf.reduce_mean(tf.cast(out > 0, tf.float32))))

    # round-trip through config
    config = linear_layer.get_config()
    new_layer = Linear.from_config(config)
    print("restored units:", new_layer.units)


def train_vae(original_dim=784, epochs=1, steps=10):
    vae = VariationalAutoEncoder(original_dim, 64, 32)
    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    mse_loss_fn = keras.losses.MeanSquaredError()
    loss_metric = keras.metrics.Mean()

    x_train = np.random.random((steps * 32, 28, 28)).astype("float32")
    x_train = x_train.reshape(-1, original_dim)
    train_dataset = tf.data.Dataset.from_tensor_slices(x_train)
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(32)

    for epoch in range(epochs):
        print(f"Start of epoch {epoch}")
        for step, x_batch_train in enumerate(train_dataset):
            with tf.GradientTape() as tape:
                reconstructed = vae(x_batch_train)
                loss = mse_loss_fn(x_batch_train, reconstructed)
                loss += sum(vae.losses)  # add KLD regularization loss

            grads = tape.gradient(loss, vae.trainable_weights)
            optimizer.apply_gradients(zip(grads, vae.trainable_weights))
            loss_metric(loss)

            if step % 5 == 0:
                print(f"step {step}: mean loss = {float(loss_metric.result()):.4f}")

    # the same model also works with compile/fit since it's a Model subclass
    vae.compile(optimizer, loss=keras.losses.MeanSquaredError())
    vae.fit(x_train, x_train, epochs=1, batch_size=64, verbose=2)


if __name__ == "__main__":
    demo_layers()
    train_vae()
