"""Conditional WGAN-GP for 1-D signals, keras.io "WGAN-GP" style.

The GAN is a keras.Model subclass with a custom compile() taking two
optimizers and two loss functions, and a train_step that does `d_steps`
critic updates (with gradient penalty) per generator update. Class labels
are injected by tiling an embedding along the time axis and concatenating
it as extra channels. A small callback prints stats of generated samples.
Backend-agnostic keras.ops are used wherever possible.
"""
import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

SEQ_LEN = 64
N_CLASSES = 3
LATENT_DIM = 32
EMBED_DIM = 8
BATCH_SIZE = 32
EPOCHS = 2
N_SERIES = 384


def make_signals(n, seq_len=SEQ_LEN, n_classes=N_CLASSES, seed=0):
    """Class k = noisy sine with frequency drawn from band k."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, size=n)
    t = np.linspace(0, 1, seq_len, dtype="float32")
    freqs = 2.0 + 4.0 * labels + rng.uniform(0, 2, size=n)
    phase = rng.uniform(0, 2 * np.pi, size=n)
    x = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phase[:, None])
    x = x + 0.05 * rng.standard_normal(x.shape)
    return x[..., None].astype("float32"), labels.astype("int32")


def label_channels(label_input, seq_len, name):
    """(B,) int -> (B, seq_len, EMBED_DIM) by embedding + repeat along time."""
    emb = layers.Embedding(N_CLASSES, EMBED_DIM, name=f"{name}_label_emb")(label_input)
    emb = layers.Flatten()(emb)                      # (B, EMBED_DIM)
    return layers.RepeatVector(seq_len)(emb)         # (B, L, EMBED_DIM)


def get_generator():
    noise = keras.Input(shape=(LATENT_DIM,), name="noise")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    start_len = SEQ_LEN // 8
    x = layers.Dense(start_len * 64, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((start_len, 64))(x)
    x = layers.Concatenate(axis=-1)([x, label_channels(label, start_len, "gen")])

    for filters in (64, 32, 16):
        x = layers.UpSampling1D(2)(x)
        x = layers.Conv1D(filters, 5, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(0.2)(x)

    out = layers.Conv1D(1, 7, padding="same", activation="tanh")(x)
    return keras.Model([noise, label], out, name="generator")


def get_critic():
    series = keras.Input(shape=(SEQ_LEN, 1), name="series")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    x = layers.Concatenate(axis=-1)([series, label_channels(label, SEQ_LEN, "critic")])
    for filters in (32, 64, 128):
        x = layers.Conv1D(filters, 5, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(1)(x)
    return keras.Model([series, label], out, name="critic")


def discriminator_loss(real_logits, fake_logits):
    return ops.mean(fake_logits) - ops.mean(real_logits)


def generator_loss(fake_logits):
    return -ops.mean(fake_logits)


class ConditionalWGAN(keras.Model):
    def __init__(self, critic, generator, latent_dim, d_steps=3, gp_weight=10.0):
        super().__init__()
        self.critic = critic
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_steps = d_steps
        self.gp_weight = gp_weight
        self.seed_generator = keras.random.SeedGenerator(1337)
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.gp_metric = keras.metrics.Mean(name="gp")

    def compile(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric, self.gp_metric]

    def gradient_penalty(self, batch_size, real, fake, labels):
        alpha = keras.random.uniform((batch_size, 1, 1), seed=self.seed_generator)
        interpolated = real + alpha * (fake - real)
        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.critic([interpolated, labels], training=True)
        grads = gp_tape.gradient(pred, interpolated)                  # (B, L, 1)
        norm = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2]) + 1e-12)
        return ops.mean((norm - 1.0) ** 2)

    def train_step(self, data):
        real_series, labels = data
        labels = ops.reshape(labels, (-1, 1))
        batch_size = ops.shape(real_series)[0]

        # ---- critic -------------------------------------------------------
        for _ in range(self.d_steps):
            z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
            with tf.GradientTape() as tape:
                fake_series = self.generator([z, labels], training=True)
                fake_logits = self.critic([fake_series, labels], training=True)
                real_logits = self.critic([real_series, labels], training=True)
                d_cost = self.d_loss_fn(real_logits, fake_logits)
                gp = self.gradient_penalty(batch_size, real_series, fake_series, labels)
                d_loss = d_cost + gp * self.gp_weight
            d_grads = tape.gradient(d_loss, self.critic.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_grads, self.critic.trainable_variables))

        # ---- generator ----------------------------------------------------
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)
        with tf.GradientTape() as tape:
            generated = self.generator([z, labels], training=True)
            gen_logits = self.critic([generated, labels], training=True)
            g_loss = self.g_loss_fn(gen_logits)
        g_grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        self.gp_metric.update_state(gp)
        return {m.name: m.result() for m in self.metrics}


class GANMonitor(keras.callbacks.Callback):
    """Generate a few series per class at the end of each epoch."""

    def __init__(self, num_per_class=4, latent_dim=LATENT_DIM):
        super().__init__()
        self.num_per_class = num_per_class
        self.latent_dim = latent_dim

    def on_epoch_end(self, epoch, logs=None):
        labels = np.repeat(np.arange(N_CLASSES), self.num_per_class)[:, None]
        z = np.random.normal(size=(len(labels), self.latent_dim)).astype("float32")
        fake = self.model.generator.predict([z, labels], verbose=0)
        # crude "frequency" estimate: zero crossings per sample
        crossings = np.sum(np.diff(np.sign(fake[..., 0]), axis=1) != 0, axis=1)
        per_class = crossings.reshape(N_CLASSES, self.num_per_class).mean(axis=1)
        print(f"\n  epoch {epoch + 1}: zero crossings per class {per_class.round(1)}")


def main():
    keras.utils.set_random_seed(0)
    x, y = make_signals(N_SERIES)
    print("signals:", x.shape, "labels:", np.bincount(y))

    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(N_SERIES)
          .batch(BATCH_SIZE, drop_remainder=True))

    g_model = get_generator()
    c_model = get_critic()
    g_model.summary()

    wgan = ConditionalWGAN(critic=c_model, generator=g_model, latent_dim=LATENT_DIM, d_steps=3)
    wgan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.9),
        g_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, beta_2=0.9),
        d_loss_fn=discriminator_loss,
        g_loss_fn=generator_loss,
    )
    wgan.fit(ds, epochs=EPOCHS, callbacks=[GANMonitor()], verbose=2)


if __name__ == "__main__":
    main()
