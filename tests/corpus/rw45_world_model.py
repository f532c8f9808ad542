"""Minimal "World Models" (Ha & Schmidhuber, 2018) pipeline in Keras 3.

V: convolutional VAE compressing 32x32 frames to a latent z
M: MDN-RNN (LSTM + mixture density head) modelling p(z_{t+1} | z_t, a_t, h_t)
C: linear controller a_t = tanh(W [z_t, h_t] + b), rolled out inside the dream

Frames come from a synthetic "bouncing ball" generator so nothing is downloaded.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ----------------------------------------------------------------- config
IMG = 32
LATENT = 16
ACTION_DIM = 2
RNN_UNITS = 64
N_MIX = 3
SEQ_LEN = 12
N_EPISODES = 24
BATCH = 8
KL_TOLERANCE = 0.5  # free bits per latent dim, as in the original paper
keras.utils.set_random_seed(11)


# ----------------------------------------------------------------- data
def bouncing_ball_episodes(n_episodes, seq_len, img=IMG, radius=3):
    """Returns frames (N, T+1, H, W, 1) and actions (N, T, ACTION_DIM)."""
    yy, xx = np.mgrid[0:img, 0:img]
    frames = np.zeros((n_episodes, seq_len + 1, img, img, 1), np.float32)
    actions = np.random.uniform(-1, 1, (n_episodes, seq_len, ACTION_DIM)).astype(np.float32)
    for e in range(n_episodes):
        pos = np.random.uniform(radius, img - radius, 2)
        vel = np.random.uniform(-2, 2, 2)
        for t in range(seq_len + 1):
            frames[e, t, :, :, 0] = ((yy - pos[0]) ** 2 + (xx - pos[1]) ** 2 <= radius ** 2)
            if t < seq_len:
                vel = 0.9 * vel + 0.5 * actions[e, t]
                pos = pos + vel
                for d in range(2):  # reflect off walls
                    if pos[d] < radius or pos[d] > img - radius:
                        vel[d] = -vel[d]
                        pos[d] = np.clip(pos[d], radius, img - radius)
    return frames, actions


frames, actions = bouncing_ball_episodes(N_EPISODES, SEQ_LEN)
print("frames", frames.shape, "actions", actions.shape)


# ----------------------------------------------------------------- V: VAE
class Sampling(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


def build_encoder():
    inp = keras.Input((IMG, IMG, 1))
    x = layers.Conv2D(16, 4, strides=2, padding="same", activation="relu")(inp)  # 16x16
    x = layers.Conv2D(32, 4, strides=2, padding="same", activation="relu")(x)    # 8x8
    x = layers.Conv2D(64, 4, strides=2, padding="same", activation="relu")(x)    # 4x4
    x = layers.Flatten()(x)
    z_mean = layers.Dense(LATENT, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(inp, [z_mean, z_log_var, z], name="encoder")


def build_decoder():
    z_in = keras.Input((LATENT,))
    x = layers.Dense(4 * 4 * 64, activation="relu")(z_in)
    x = layers.Reshape((4, 4, 64))(x)
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid")(x)
    return keras.Model(z_in, out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.recon_tracker, self.kl_tracker]

    def call(self, x):
        _, _, z = self.encoder(x)
        return self.decoder(z)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder(data, training=True)
            recon = self.decoder(z, training=True)
            recon_loss = ops.mean(ops.sum(ops.square(data - recon), axis=(1, 2, 3)))
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl = ops.maximum(ops.sum(kl, axis=1), KL_TOLERANCE * LATENT)
            kl_loss = ops.mean(kl)
            total = recon_loss + kl_loss
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total)
        self.recon_tracker.update_state(recon_loss)
        self.kl_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}


encoder, decoder = build_encoder(), build_decoder()
vae = VAE(encoder, decoder)
vae.compile(optimizer=keras.optimizers.Adam(1e-3))

flat_frames = frames.reshape(-1, IMG, IMG, 1)  # merge episode and time axes
frame_ds = tf.data.Dataset.from_tensor_slices(flat_frames).shuffle(512).batch(32)
vae.fit(frame_ds, epochs=2, verbose=2)

# Encode every frame into z (use the mean, as the paper does for M training data)
z_mu, _, _ = encoder.predict(flat_frames, batch_size=64, verbose=0)
z_seq = z_mu.reshape(N_EPISODES, SEQ_LEN + 1, LATENT)
print("latent sequences:", z_seq.shape)


# ----------------------------------------------------------------- M: MDN-RNN
def build_mdn_rnn():
    z_in = keras.Input((None, LATENT), name="z_t")
    a_in = keras.Input((None, ACTION_DIM), name="a_t")
    x = layers.Concatenate(axis=-1)([z_in, a_in])               # (B, T, LATENT + A)
    lstm = layers.LSTM(RNN_UNITS, return_sequences=True, return_state=True, name="lstm")
    h_seq, h_last, c_last = lstm(x)
    # per latent dim: N_MIX logits, N_MIX means, N_MIX log-sigmas
    mdn = layers.Dense(LATENT * N_MIX * 3, name="mdn_params")(h_seq)
    mdn = layers.Reshape((-1, LATENT, N_MIX * 3))(mdn)           # (B, T, LATENT, 3K)
    return keras.Model([z_in, a_in], [mdn, h_seq, h_last, c_last], name="mdn_rnn")


def split_mdn(params):
    logit_pi, mu, log_sigma = ops.split(params, 3, axis=-1)
    log_sigma = ops.clip(log_sigma, -5.0, 3.0)
    log_pi = logit_pi - ops.logsumexp(logit_pi, axis=-1, keepdims=True)
    return log_pi, mu, log_sigma


def mdn_nll(z_target, params):
    """Negative log-likelihood of z_target (B, T, LATENT) under the mixture."""
    log_pi, mu, log_sigma = split_mdn(params)
    z = ops.expand_dims(z_target, -1)                            # (B, T, LATENT, 1)
    log_norm = -0.5 * ops.square((z - mu) / ops.exp(log_sigma)) - log_sigma \
        - 0.5 * math.log(2 * math.pi)
    log_prob = ops.logsumexp(log_pi + log_norm, axis=-1)         # (B, T, LATENT)
    return -ops.mean(log_prob)


mdn_rnn = build_mdn_rnn()
mdn_rnn.summary()
m_opt = keras.optimizers.Adam(1e-3)

seq_ds = (tf.data.Dataset.from_tensor_slices((z_seq[:, :-1], actions, z_seq[:, 1:]))
          .shuffle(N_EPISODES)
          .batch(BATCH))


@tf.function
def m_train_step(z_t, a_t, z_next):
    with tf.GradientTape() as tape:
        params, _, _, _ = mdn_rnn([z_t, a_t], training=True)
        loss = mdn_nll(z_next, params)
    grads = tape.gradient(loss, mdn_rnn.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    m_opt.apply_gradients(zip(grads, mdn_rnn.trainable_variables))
    return loss


for epoch in range(3):
    losses = [float(m_train_step(*b)) for b in seq_ds]
    print(f"MDN-RNN epoch {epoch}: nll {np.mean(losses):.4f}")


# ----------------------------------------------------------------- C: controller + dream rollout
class LinearController(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], ACTION_DIM),
                                 initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(ACTION_DIM,), initializer="zeros", name="b")

    def call(self, zh):
        return ops.tanh(ops.matmul(zh, self.w) + self.b)


controller = LinearController()
# Reuse the trained LSTM + MDN head directly, stepping one frame at a time with explicit state
lstm_layer = mdn_rnn.get_layer("lstm")
mdn_head = mdn_rnn.get_layer("mdn_params")


def sample_next_z(params, temperature=1.0):
    log_pi, mu, log_sigma = split_mdn(params)                    # (B, LATENT, K)
    k = tf.random.categorical(tf.reshape(log_pi / temperature, (-1, N_MIX)), 1)
    k = tf.reshape(k, tf.shape(log_pi)[:-1])                      # (B, LATENT)
    mu_k = tf.gather(mu, k, batch_dims=2)
    sigma_k = tf.exp(tf.gather(log_sigma, k, batch_dims=2))
    return mu_k + sigma_k * tf.random.normal(tf.shape(mu_k)) * math.sqrt(temperature)


def dream_rollout(z0, steps=10, temperature=1.0):
    batch = ops.shape(z0)[0]
    h = tf.zeros((batch, RNN_UNITS))
    c = tf.zeros((batch, RNN_UNITS))
    z, zs = z0, [z0]
    for _ in range(steps):
        a = controller(ops.concatenate([z, h], axis=-1))          # (B, A)
        x = ops.concatenate([z, a], axis=-1)[:, None, :]          # (B, 1, LATENT + A)
        _, h, c = lstm_layer(x, initial_state=[h, c])
        params = ops.reshape(mdn_head(h), (-1, LATENT, N_MIX * 3))
        z = sample_next_z(params, temperature)
        zs.append(z)
    return ops.stack(zs, axis=1)                                 # (B, steps + 1, LATENT)


dream_z = dream_rollout(tf.constant(z_seq[:4, 0]), steps=8, temperature=1.15)
dream_frames = decoder.predict(ops.reshape(dream_z, (-1, LATENT)), verbose=0)
dream_frames = dream_frames.reshape(4, -1, IMG, IMG, 1)
print("dream latents:", tuple(dream_z.shape), "decoded frames:", dream_frames.shape)
print("mean pixel intensity per dream step:", np.round(dream_frames.mean(axis=(0, 2, 3, 4)), 4))
