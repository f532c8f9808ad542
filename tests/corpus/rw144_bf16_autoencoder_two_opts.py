# Denoising 1-D conv autoencoder trained under the mixed_bfloat16 policy.
# Encoder and decoder are separate sub-models with separate optimizers
# (different learning rates / weight decay), and gradients are accumulated
# over micro-batches inside train_step before being applied.
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

keras.mixed_precision.set_global_policy("mixed_bfloat16")

SERIES_LEN = 64
N_SERIES = 384
BATCH = 32
ACCUM = 2  # apply every 2 micro-batches -> effective batch 64
EPOCHS = 2
LATENT_CH = 8

enc_cfg = dict(filters=(16, 32), kernel=5)
dec_cfg = dict(filters=(32, 16), kernel=5)


def make_series(n, length, seed=0):
    rs = np.random.default_rng(seed)
    t = np.linspace(0, 1, length, dtype=np.float32)
    freqs = rs.uniform(1, 6, size=(n, 1))
    phases = rs.uniform(0, 2 * math.pi, size=(n, 1))
    amps = rs.uniform(0.5, 1.5, size=(n, 1))
    clean = amps * np.sin(2 * math.pi * freqs * t[None] + phases)
    clean += 0.3 * np.sign(np.sin(2 * math.pi * 0.5 * freqs * t[None]))  # a square-ish component
    return clean[..., None].astype("float32")


def add_noise(clean):
    noisy = clean + tf.random.normal(tf.shape(clean), stddev=0.25)
    return noisy, clean


clean = make_series(N_SERIES, SERIES_LEN)
ds = (tf.data.Dataset.from_tensor_slices(clean)
      .shuffle(N_SERIES)
      .batch(BATCH, drop_remainder=True)
      .map(add_noise, num_parallel_calls=2)
      .prefetch(1))


def build_encoder():
    inp = keras.Input((SERIES_LEN, 1))
    x = inp
    for f in enc_cfg["filters"]:
        x = layers.Conv1D(f, enc_cfg["kernel"], strides=2, padding="same", activation="relu")(x)
    z = layers.Conv1D(LATENT_CH, 1, name="latent")(x)
    return keras.Model(inp, z, name="encoder")


def build_decoder():
    inp = keras.Input((SERIES_LEN // 2 ** len(enc_cfg["filters"]), LATENT_CH))
    x = inp
    for f in dec_cfg["filters"]:
        x = layers.Conv1DTranspose(f, dec_cfg["kernel"], strides=2, padding="same", activation="relu")(x)
    # the reconstruction is produced in float32
    out = layers.Conv1D(1, 3, padding="same", dtype="float32", name="recon")(x)
    return keras.Model(inp, out, name="decoder")


class AccumAutoencoder(keras.Model):
    def __init__(self, encoder, decoder, accum_steps, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.accum_steps = accum_steps
        self.mse_tracker = keras.metrics.Mean(name="mse")
        self.mae_tracker = keras.metrics.MeanAbsoluteError(name="mae")
        self.applied = keras.metrics.Sum(name="updates")

    def build_accumulators(self):
        self.counter = tf.Variable(0, dtype=tf.int32, trainable=False)
        self.enc_acc = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                        for v in self.encoder.trainable_variables]
        self.dec_acc = [tf.Variable(tf.zeros(v.shape, v.dtype), trainable=False)
                        for v in self.decoder.trainable_variables]

    def compile(self, enc_optimizer, dec_optimizer, **kwargs):
        super().compile(**kwargs)
        self.enc_optimizer = enc_optimizer
        self.dec_optimizer = dec_optimizer
        # build slot variables up front instead of inside the tf.cond branch
        self.enc_optimizer.build(self.encoder.trainable_variables)
        self.dec_optimizer.build(self.decoder.trainable_variables)

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)

    @property
    def metrics(self):
        return [self.mse_tracker, self.mae_tracker, self.applied]

    def _apply(self):
        enc_vars = self.encoder.trainable_variables
        dec_vars = self.decoder.trainable_variables
        self.enc_optimizer.apply_gradients(zip([g.value() for g in self.enc_acc], enc_vars))
        self.dec_optimizer.apply_gradients(zip([g.value() for g in self.dec_acc], dec_vars))
        for g in self.enc_acc + self.dec_acc:
            g.assign(tf.zeros_like(g))
        return tf.constant(1.0)

    def train_step(self, data):
        noisy, target = data
        enc_vars = self.encoder.trainable_variables
        dec_vars = self.decoder.trainable_variables
        with tf.GradientTape() as tape:
            recon = self(noisy, training=True)
            loss = ops.mean(ops.square(recon - target))
            # scale inside the tape so the division is recorded
            micro_loss = loss / self.accum_steps
        grads = tape.gradient(micro_loss, enc_vars + dec_vars)
        for acc, g in zip(self.enc_acc + self.dec_acc, grads):
            acc.assign_add(tf.cast(g, acc.dtype))
        self.counter.assign_add(1)
        # tensor-valued condition -> tf.cond, not a python `if`
        did_apply = tf.cond(
            tf.equal(self.counter % self.accum_steps, 0),
            self._apply,
            lambda: tf.constant(0.0),
        )
        self.applied.update_state(did_apply)
        self.mse_tracker.update_state(loss)
        self.mae_tracker.update_state(target, recon)
        return {m.name: m.result() for m in self.metrics}


encoder, decoder = build_encoder(), build_decoder()
print("encoder compute dtype:", encoder.layers[1].compute_dtype,
      "| recon dtype:", decoder.get_layer("recon").compute_dtype)

ae = AccumAutoencoder(encoder, decoder, ACCUM)
ae.build_accumulators()
ae.compile(
    enc_optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
    dec_optimizer=keras.optimizers.Adam(learning_rate=1e-3),
)
ae.fit(ds, epochs=EPOCHS, verbose=2)

print(f"encoder updates: {int(ae.enc_optimizer.iterations)}, "
      f"decoder updates: {int(ae.dec_optimizer.iterations)}, "
      f"micro-batches seen: {int(ae.counter.numpy())}")

noisy, target = next(iter(ds))
recon = ae(noisy, training=False)
base = float(tf.reduce_mean(tf.square(noisy - target)))
after = float(tf.reduce_mean(tf.square(recon - target)))
print(f"noisy-input MSE {base:.4f} -> reconstruction MSE {after:.4f} (dtype {recon.dtype})")

keras.mixed_precision.set_global_policy("float32")
