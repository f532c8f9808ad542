"""Class-conditional diffusion with classifier-free guidance + DDIM sampling.

* cosine noise schedule (Nichol & Dhariwal, 2021)
* tiny UNet written as a subclassed keras.Model; residual blocks are custom
  layers that create their weights in build() and are FiLM-modulated by the
  (time + class) embedding
* labels are randomly dropped to a "null" class during training so the same
  network learns p(x|y) and p(x) -> classifier-free guidance at sampling time
* deterministic DDIM sampler with a handful of steps
"""
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ----------------------------------------------------------------- config ---
IMG_SHAPE = (16, 16, 1)
NUM_CLASSES = 4
NULL_CLASS = NUM_CLASSES          # extra embedding row for "unconditional"
T = 100
EMB_DIM = 64
BASE_CH = 16
P_UNCOND = 0.15
GUIDANCE_SCALE = 3.0
DDIM_STEPS = 10
BATCH = 16
TRAIN_STEPS = 6
LR = 3e-4


def cosine_alphas_cumprod(timesteps, s=0.008):
    steps = np.arange(timesteps + 1, dtype=np.float64) / timesteps
    f = np.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    abar = f / f[0]
    betas = np.clip(1 - abar[1:] / abar[:-1], 0, 0.999)
    return np.cumprod(1.0 - betas).astype("float32")


ALPHA_BAR = tf.constant(cosine_alphas_cumprod(T))


def sinusoidal_embedding(t, dim):
    """t: (B,) int -> (B, dim) float, same formula as in 'Attention is all you need'."""
    half = dim // 2
    freqs = tf.exp(-math.log(10000.0) * tf.range(half, dtype=tf.float32) / half)
    args = tf.cast(t, tf.float32)[:, None] * freqs[None, :]
    return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)


# ----------------------------------------------------------------- layers ---
class FiLMResBlock(layers.Layer):
    """GroupNorm -> SiLU -> Conv, modulated by scale/shift from the embedding."""

    def __init__(self, filters, groups=4, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.groups = groups
        self.dropout_rate = dropout

    def build(self, input_shape):
        x_shape, emb_shape = input_shape
        in_ch = x_shape[-1]
        self.norm1 = layers.GroupNormalization(groups=min(self.groups, in_ch))
        self.conv1 = layers.Conv2D(self.filters, 3, padding="same")
        self.film = layers.Dense(2 * self.filters)
        self.norm2 = layers.GroupNormalization(groups=self.groups)
        self.drop = layers.Dropout(self.dropout_rate)
        self.conv2 = layers.Conv2D(self.filters, 3, padding="same", kernel_initializer="zeros")
        if in_ch != self.filters:
            self.skip = layers.Conv2D(self.filters, 1)
        else:
            self.skip = layers.Identity()

        self.norm1.build(x_shape)
        self.conv1.build(x_shape)
        mid_shape = tuple(x_shape[:-1]) + (self.filters,)
        self.film.build(emb_shape)
        self.norm2.build(mid_shape)
        self.conv2.build(mid_shape)
        self.skip.build(x_shape)
        super().build(input_shape)

    def call(self, inputs, training=None):
        x, emb = inputs
        h = self.conv1(tf.nn.silu(self.norm1(x)))
        scale, shift = tf.split(self.film(tf.nn.silu(emb)), 2, axis=-1)
        h = self.norm2(h)
        h = h * (1.0 + scale[:, None, None, :]) + shift[:, None, None, :]
        h = self.conv2(self.drop(tf.nn.silu(h), training=training))
        return h + self.skip(x)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, groups=self.groups, dropout=self.dropout_rate)
        return cfg


class ConditionalUNet(keras.Model):
    def __init__(self, base=BASE_CH, emb_dim=EMB_DIM, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.emb_dim = emb_dim
        self.time_mlp = keras.Sequential(
            [layers.Dense(emb_dim, activation="swish"), layers.Dense(emb_dim)], name="time_mlp")
        # +1 row for the null / unconditional token
        self.class_emb = layers.Embedding(num_classes + 1, emb_dim, name="class_emb")

        self.stem = layers.Conv2D(base, 3, padding="same")
        self.down1 = FiLMResBlock(base)
        self.pool1 = layers.Conv2D(base * 2, 3, strides=2, padding="same")   # 16 -> 8
        self.down2 = FiLMResBlock(base * 2)
        self.pool2 = layers.Conv2D(base * 2, 3, strides=2, padding="same")   # 8 -> 4
        self.mid = FiLMResBlock(base * 2, dropout=0.1)
        self.mid_attn = layers.MultiHeadAttention(num_heads=2, key_dim=base)
        self.up2 = layers.UpSampling2D(2)
        self.dec2 = FiLMResBlock(base * 2)
        self.up1 = layers.UpSampling2D(2)
        self.dec1 = FiLMResBlock(base)
        self.out_norm = layers.GroupNormalization(groups=4)
        self.out_conv = layers.Conv2D(IMG_SHAPE[-1], 3, padding="same")

    def call(self, inputs, training=None):
        x, t, y = inputs
        emb = self.time_mlp(sinusoidal_embedding(t, self.emb_dim)) + self.class_emb(y)

        h0 = self.down1([self.stem(x), emb], training=training)          # (B,16,16,C)
        h1 = self.down2([self.pool1(h0), emb], training=training)        # (B,8,8,2C)
        h = self.mid([self.pool2(h1), emb], training=training)           # (B,4,4,2C)

        # self-attention over the 4x4 tokens
        b, hh, ww, c = tf.shape(h)[0], tf.shape(h)[1], tf.shape(h)[2], h.shape[-1]
        tokens = tf.reshape(h, [b, hh * ww, c])
        tokens = tokens + self.mid_attn(tokens, tokens, training=training)
        h = tf.reshape(tokens, [b, hh, ww, c])

        h = self.dec2([tf.concat([self.up2(h), h1], axis=-1), emb], training=training)
        h = self.dec1([tf.concat([self.up1(h), h0], axis=-1), emb], training=training)
        return self.out_conv(tf.nn.silu(self.out_norm(h)))


# --------------------------------------------------------------- training ---
def make_data(n=256, seed=0):
    """Class k = horizontal / vertical / diagonal / checker stripes."""
    rng = np.random.default_rng(seed)
    H, W, _ = IMG_SHAPE
    yy, xx = np.mgrid[0:H, 0:W]
    patterns = [
        (yy // 2) % 2,
        (xx // 2) % 2,
        ((xx + yy) // 3) % 2,
        ((xx // 4) + (yy // 4)) % 2,
    ]
    labels = rng.integers(0, NUM_CLASSES, size=n)
    imgs = np.stack([patterns[k] for k in labels]).astype("float32")
    imgs = imgs * 2.0 - 1.0 + 0.05 * rng.standard_normal(imgs.shape)
    return imgs[..., None].astype("float32"), labels.astype("int32")


model = ConditionalUNet()
optimizer = keras.optimizers.AdamW(learning_rate=LR, weight_decay=1e-4)
mse = keras.losses.MeanSquaredError()


@tf.function
def train_step(x0, y):
    b = tf.shape(x0)[0]
    t = tf.random.uniform([b], 0, T, dtype=tf.int32)
    noise = tf.random.normal(tf.shape(x0))
    abar = tf.reshape(tf.gather(ALPHA_BAR, t), [-1, 1, 1, 1])
    x_t = tf.sqrt(abar) * x0 + tf.sqrt(1.0 - abar) * noise

    # classifier-free guidance: drop the label with probability P_UNCOND
    drop = tf.random.uniform([b]) < P_UNCOND
    y_in = tf.where(drop, tf.fill([b], NULL_CLASS), y)

    with tf.GradientTape() as tape:
        eps = model([x_t, t, y_in], training=True)
        loss = mse(noise, eps)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, gnorm


@tf.function
def guided_eps(x, t, y, w):
    b = tf.shape(x)[0]
    # run conditional and unconditional branches as one doubled batch
    x_in = tf.concat([x, x], axis=0)
    t_in = tf.concat([t, t], axis=0)
    y_in = tf.concat([y, tf.fill([b], NULL_CLASS)], axis=0)
    eps_c, eps_u = tf.split(model([x_in, t_in, y_in], training=False), 2, axis=0)
    return eps_u + w * (eps_c - eps_u)


def ddim_sample(labels, steps=DDIM_STEPS, w=GUIDANCE_SCALE, seed=0):
    labels = tf.constant(labels, dtype=tf.int32)
    n = labels.shape[0]
    x = tf.random.stateless_normal([n, *IMG_SHAPE], seed=[seed, 0])
    schedule = np.linspace(T - 1, 0, steps).round().astype("int32")
    for i, t_cur in enumerate(schedule):
        t_prev = schedule[i + 1] if i + 1 < len(schedule) else -1
        a_cur = ALPHA_BAR[t_cur]
        a_prev = ALPHA_BAR[t_prev] if t_prev >= 0 else tf.constant(1.0)
        eps = guided_eps(x, tf.fill([n], int(t_cur)), labels, tf.constant(w))
        x0_hat = (x - tf.sqrt(1.0 - a_cur) * eps) / tf.sqrt(a_cur)
        x0_hat = tf.clip_by_value(x0_hat, -1.0, 1.0)
        x = tf.sqrt(a_prev) * x0_hat + tf.sqrt(1.0 - a_prev) * eps   # eta = 0
    return x


def main():
    images, labels = make_data()
    ds = (tf.data.Dataset.from_tensor_slices((images, labels))
          .shuffle(256, seed=0)
          .batch(BATCH, drop_remainder=True)
          .repeat())

    tic = time.time()
    for step, (x0, y) in enumerate(ds.take(TRAIN_STEPS)):
        loss, gnorm = train_step(x0, y)
        if step == 0:
            model.summary()
        if step % 3 == 0 or step == TRAIN_STEPS - 1:
            print(f"[{step:03d}] loss={loss.numpy():.4f} |g|={gnorm.numpy():.3f} "
                  f"t={time.time() - tic:.1f}s")

    samples = ddim_sample([0, 1, 2, 3, 0, 1, 2, 3])
    print("samples:", samples.shape,
          "mean per class:", tf.reduce_mean(samples, axis=[1, 2, 3]).numpy().round(2))


if __name__ == "__main__":
    main()
