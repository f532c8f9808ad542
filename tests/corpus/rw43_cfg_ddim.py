"""Class-conditional diffusion with classifier-free guidance + DDIM sampling.

- cosine noise schedule (Nichol & Dhariwal), continuous time in [0, 1]
- tiny conv net with a self-attention bottleneck (MultiHeadAttention over the
  flattened 4x4 feature map)
- class labels randomly replaced by a "null" token (p_uncond) during training,
  so one network learns both conditional and unconditional scores
- deterministic DDIM sampler mixes them: eps = (1 + w) * eps_c - w * eps_u
Plain custom training loop, no model.fit.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

layers = keras.layers

NUM_CLASSES = 4
NULL_CLASS = NUM_CLASSES          # extra embedding row for "no label"
IMG = 16
CH = 1
TIME_DIM = 32
P_UNCOND = 0.15
GUIDANCE_W = 2.0
TRAIN_STEPS = 25
BATCH = 32
DDIM_STEPS = 8


# ----------------------------------------------------------------------------
# schedule helpers (all continuous-time, t in [0, 1])
# ----------------------------------------------------------------------------
def cosine_alpha_bar(t, s=0.008):
    f = tf.cos((t + s) / (1.0 + s) * math.pi / 2.0)
    f0 = math.cos(s / (1.0 + s) * math.pi / 2.0)
    return tf.clip_by_value((f / f0) ** 2, 1e-5, 0.9999)


def timestep_embedding(t, dim=TIME_DIM, max_period=1000.0):
    """Sinusoidal features of continuous t (scaled by 1000 like the discrete case)."""
    half = dim // 2
    freqs = tf.exp(-math.log(max_period) * tf.range(half, dtype=tf.float32) / float(half))
    args = tf.expand_dims(t * 1000.0, -1) * tf.expand_dims(freqs, 0)
    return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
class FiLMConvBlock(layers.Layer):
    """Conv -> GroupNorm -> scale/shift from conditioning vector -> SiLU."""

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.conv = layers.Conv2D(filters, 3, padding="same")
        self.norm = layers.GroupNormalization(groups=4, center=False, scale=False)
        self.film = layers.Dense(2 * filters)

    def call(self, x, cond):
        h = self.norm(self.conv(x))
        scale_shift = self.film(cond)[:, None, None, :]        # (B, 1, 1, 2F)
        scale, shift = tf.split(scale_shift, 2, axis=-1)
        h = h * (1.0 + scale) + shift
        return tf.nn.silu(h)


class AttentionBottleneck(layers.Layer):
    def __init__(self, num_heads=2, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads

    def build(self, input_shape):
        c = input_shape[-1]
        self.ln = layers.LayerNormalization()
        self.mha = layers.MultiHeadAttention(num_heads=self.num_heads, key_dim=c // self.num_heads)

    def call(self, x):
        b = tf.shape(x)[0]
        h, w, c = x.shape[1], x.shape[2], x.shape[3]
        seq = tf.reshape(x, [b, h * w, c])
        seq_n = self.ln(seq)
        attn = self.mha(seq_n, seq_n)
        return x + tf.reshape(attn, [b, h, w, c])


class GuidedDenoiser(keras.Model):
    def __init__(self, widths=(32, 64), **kwargs):
        super().__init__(**kwargs)
        self.label_emb = layers.Embedding(NUM_CLASSES + 1, TIME_DIM * 2)
        self.time_mlp = keras.Sequential(
            [layers.Dense(TIME_DIM * 2, activation="swish"), layers.Dense(TIME_DIM * 2)],
            name="time_mlp",
        )
        self.stem = layers.Conv2D(widths[0], 3, padding="same")
        self.down = [FiLMConvBlock(w) for w in widths]
        self.pool = layers.AveragePooling2D(2)
        self.mid = FiLMConvBlock(widths[-1])
        self.attn = AttentionBottleneck(num_heads=2)
        self.up = [FiLMConvBlock(w) for w in reversed(widths)]
        self.upsample = layers.UpSampling2D(2)
        self.head = layers.Conv2D(CH, 1, kernel_initializer="zeros")

    def call(self, inputs, training=False):
        x, t, y = inputs
        cond = self.time_mlp(timestep_embedding(t)) + self.label_emb(y)   # (B, 2*TIME_DIM)

        h = self.stem(x)
        skips = []
        for block in self.down:
            h = block(h, cond)
            skips.append(h)
            h = self.pool(h)                       # 16 -> 8 -> 4
        h = self.mid(h, cond)
        h = self.attn(h)
        for block in self.up:
            h = self.upsample(h)
            h = tf.concat([h, skips.pop()], axis=-1)
            h = block(h, cond)
        return self.head(h)


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def class_images(n, rng):
    """Class k -> horizontal/vertical/diagonal/anti-diagonal stripes, in [-1, 1]."""
    y = rng.integers(0, NUM_CLASSES, size=n)
    r, c = np.mgrid[0:IMG, 0:IMG]
    patterns = np.stack(
        [(r % 4 < 2), (c % 4 < 2), ((r + c) % 4 < 2), ((r - c) % 4 < 2)]
    ).astype("float32")
    x = patterns[y][..., None] * 2.0 - 1.0
    x += rng.normal(0, 0.1, size=x.shape).astype("float32")
    return x.astype("float32"), y.astype("int32")


def drop_labels(x, y):
    """Classifier-free guidance: replace labels with NULL_CLASS with prob P_UNCOND."""
    keep = tf.random.uniform(tf.shape(y)) >= P_UNCOND
    y = tf.where(keep, y, tf.fill(tf.shape(y), NULL_CLASS))
    return x, y


# ----------------------------------------------------------------------------
# train / sample
# ----------------------------------------------------------------------------
model = GuidedDenoiser(name="cfg_denoiser")
optimizer = keras.optimizers.Adam(learning_rate=3e-4)
loss_fn = keras.losses.MeanSquaredError()


@tf.function
def train_step(x0, y):
    b = tf.shape(x0)[0]
    t = tf.random.uniform([b], 0.0, 1.0)
    a_bar = tf.reshape(cosine_alpha_bar(t), [-1, 1, 1, 1])
    eps = tf.random.normal(tf.shape(x0))
    xt = tf.sqrt(a_bar) * x0 + tf.sqrt(1.0 - a_bar) * eps
    with tf.GradientTape() as tape:
        eps_hat = model([xt, t, y], training=True)
        loss = loss_fn(eps, eps_hat)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


@tf.function
def guided_eps(xt, t, y, w):
    """Run cond and uncond in one batched forward pass."""
    b = tf.shape(xt)[0]
    x_in = tf.concat([xt, xt], axis=0)
    t_in = tf.concat([t, t], axis=0)
    y_in = tf.concat([y, tf.fill([b], NULL_CLASS)], axis=0)
    eps = model([x_in, t_in, y_in], training=False)
    eps_c, eps_u = eps[:b], eps[b:]
    return (1.0 + w) * eps_c - w * eps_u


def ddim_sample(labels, steps=DDIM_STEPS, w=GUIDANCE_W, seed=0):
    labels = tf.constant(labels, dtype=tf.int32)
    n = labels.shape[0]
    x = tf.random.stateless_normal((n, IMG, IMG, CH), seed=[seed, 0])
    times = np.linspace(1.0, 0.0, steps + 1, dtype="float32")
    for t_now, t_next in zip(times[:-1], times[1:]):
        t_vec = tf.fill([n], t_now)
        a_now = cosine_alpha_bar(tf.constant(t_now))
        a_next = cosine_alpha_bar(tf.constant(t_next))
        eps = guided_eps(x, t_vec, labels, tf.constant(w))
        x0_pred = (x - tf.sqrt(1.0 - a_now) * eps) / tf.sqrt(a_now)
        x0_pred = tf.clip_by_value(x0_pred, -1.0, 1.0)
        x = tf.sqrt(a_next) * x0_pred + tf.sqrt(1.0 - a_next) * eps   # eta = 0
    return x


def main():
    rng = np.random.default_rng(0)
    x, y = class_images(BATCH * 8, rng)
    ds = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(len(x))
        .repeat()
        .batch(BATCH, drop_remainder=True)
        .map(drop_labels, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )

    tic = time.time()
    running = None
    for step, (xb, yb) in enumerate(ds.take(TRAIN_STEPS)):
        loss = float(train_step(xb, yb))
        running = loss if running is None else 0.9 * running + 0.1 * loss
        if step % 10 == 0 or step == TRAIN_STEPS - 1:
            print(f"step {step:03d}  loss {loss:.4f}  ema {running:.4f}")
    print(f"trained {TRAIN_STEPS} steps in {time.time() - tic:.1f}s, "
          f"{model.count_params():,} params")

    samples = ddim_sample(labels=np.arange(NUM_CLASSES).repeat(2))
    samples = samples.numpy()
    print("samples:", samples.shape)
    for k in range(NUM_CLASSES):
        print(f"  class {k}: mean={samples[2 * k:2 * k + 2].mean():+.3f} std={samples[2 * k:2 * k + 2].std():.3f}")


if __name__ == "__main__":
    main()
