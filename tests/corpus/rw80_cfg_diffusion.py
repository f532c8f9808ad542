"""Class-conditional diffusion with classifier-free guidance (Ho & Salimans, 2022).

- label dropout during training: with prob p_uncond the class id is replaced by a
  "null" token (index = num_classes) so one network learns eps(x_t, t, y) and eps(x_t, t)
- FiLM conditioning of conv blocks on [time embedding ; class embedding]
- self-attention over the 8x8 bottleneck tokens
- strided DDIM sampler that evaluates the conditional + unconditional branches in
  one batched call and mixes them:  eps = eps_u + w * (eps_c - eps_u)
"""
from types import SimpleNamespace

import numpy as np
import tensorflow as tf

keras = tf.keras
L = keras.layers

cfg = SimpleNamespace(
    img_size=16,
    channels=1,
    num_classes=4,
    T=200,
    beta_start=1e-4,
    beta_end=0.02,
    p_uncond=0.2,
    base_width=32,
    emb_dim=64,
    batch_size=32,
    train_steps=15,
    lr=3e-4,
    guidance_scales=(0.0, 3.0),
    sample_steps=10,
)

# ---------------------------------------------------------------- schedule
betas = np.linspace(cfg.beta_start, cfg.beta_end, cfg.T, dtype=np.float32)
alphas_bar = np.cumprod(1.0 - betas).astype(np.float32)
ALPHAS_BAR = tf.constant(alphas_bar)


def gather_ab(t):
    """alpha_bar_t reshaped to (B, 1, 1, 1)."""
    return tf.reshape(tf.gather(ALPHAS_BAR, t), (-1, 1, 1, 1))


# ------------------------------------------------------------------ layers
class SinusoidalTimeEmbedding(L.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, t):
        half = self.dim // 2
        freqs = tf.exp(-np.log(10000.0) * tf.range(half, dtype=tf.float32) / half)
        args = tf.cast(t, tf.float32)[:, None] * freqs[None, :]
        return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)


class FiLM(L.Layer):
    """Feature-wise linear modulation: h * (1 + gamma(c)) + beta(c)."""

    def build(self, input_shape):
        feat_shape, cond_shape = input_shape
        channels = feat_shape[-1]
        self.proj = L.Dense(2 * channels, kernel_initializer="zeros")
        self.proj.build(cond_shape)
        super().build(input_shape)

    def call(self, inputs):
        h, cond = inputs
        gamma, beta = tf.split(self.proj(cond), 2, axis=-1)
        return h * (1.0 + gamma[:, None, None, :]) + beta[:, None, None, :]


class ConditionalResBlock(L.Layer):
    def __init__(self, width, groups=8, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.norm1 = L.GroupNormalization(groups)
        self.conv1 = L.Conv2D(width, 3, padding="same")
        self.film = FiLM()
        self.norm2 = L.GroupNormalization(groups)
        self.conv2 = L.Conv2D(width, 3, padding="same")
        self.skip = None

    def build(self, input_shape):
        x_shape, _ = input_shape
        if x_shape[-1] != self.width:
            self.skip = L.Conv2D(self.width, 1)

    def call(self, inputs):
        x, cond = inputs
        h = self.conv1(tf.nn.silu(self.norm1(x)))
        h = self.film([h, cond])
        h = self.conv2(tf.nn.silu(self.norm2(h)))
        residual = self.skip(x) if self.skip is not None else x
        return h + residual


class SpatialSelfAttention(L.Layer):
    def __init__(self, num_heads=4, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads

    def build(self, input_shape):
        c = input_shape[-1]
        self.norm = L.LayerNormalization()
        self.mha = L.MultiHeadAttention(num_heads=self.num_heads, key_dim=c // self.num_heads)

    def call(self, x):
        shape = tf.shape(x)
        b, h, w = shape[0], shape[1], shape[2]
        c = x.shape[-1]
        tokens = tf.reshape(x, (b, h * w, c))            # (B, HW, C)
        y = self.norm(tokens)
        y = self.mha(y, y)
        return x + tf.reshape(y, (b, h, w, c))


def build_denoiser():
    x_in = L.Input((cfg.img_size, cfg.img_size, cfg.channels), name="x_t")
    t_in = L.Input((), dtype="int32", name="t")
    y_in = L.Input((), dtype="int32", name="y")  # num_classes == null token

    t_emb = SinusoidalTimeEmbedding(cfg.emb_dim)(t_in)
    t_emb = L.Dense(cfg.emb_dim, activation="swish")(t_emb)
    y_emb = L.Embedding(cfg.num_classes + 1, cfg.emb_dim, name="class_embedding")(y_in)
    cond = L.Concatenate()([t_emb, y_emb])
    cond = L.Dense(cfg.emb_dim, activation="swish")(cond)

    w = cfg.base_width
    h0 = L.Conv2D(w, 3, padding="same")(x_in)                       # 16x16
    h1 = ConditionalResBlock(w)([h0, cond])
    d1 = L.Conv2D(2 * w, 3, strides=2, padding="same")(h1)          # 8x8
    h2 = ConditionalResBlock(2 * w)([d1, cond])
    h2 = SpatialSelfAttention(num_heads=4)(h2)
    h2 = ConditionalResBlock(2 * w)([h2, cond])
    u1 = L.UpSampling2D(2)(h2)                                      # 16x16
    u1 = L.Concatenate()([u1, h1])
    h3 = ConditionalResBlock(w)([u1, cond])
    h3 = L.Activation("swish")(L.GroupNormalization(8)(h3))
    out = L.Conv2D(cfg.channels, 3, padding="same", kernel_initializer="zeros")(h3)
    return keras.Model([x_in, t_in, y_in], out, name="cfg_unet")


# -------------------------------------------------------------------- data
def class_patterns(n):
    """Class 0: horizontal stripes, 1: vertical, 2: checkerboard, 3: centre disc."""
    s = cfg.img_size
    yy, xx = np.mgrid[0:s, 0:s]
    protos = np.stack([
        (yy // 2) % 2,
        (xx // 2) % 2,
        ((yy // 4) + (xx // 4)) % 2,
        ((yy - s / 2) ** 2 + (xx - s / 2) ** 2 < (s / 4) ** 2),
    ]).astype(np.float32) * 2 - 1
    labels = np.random.randint(0, cfg.num_classes, size=n).astype(np.int32)
    imgs = protos[labels][..., None] + 0.05 * np.random.randn(n, s, s, 1).astype(np.float32)
    return imgs, labels


# ---------------------------------------------------------------- training
model = build_denoiser()
optimizer = keras.optimizers.Adam(cfg.lr)


@tf.function
def train_step(x0, y):
    bsz = tf.shape(x0)[0]
    t = tf.random.uniform((bsz,), 0, cfg.T, dtype=tf.int32)
    # classifier-free guidance: drop labels -> null token
    drop = tf.random.uniform((bsz,)) < cfg.p_uncond
    y_in = tf.where(drop, tf.fill([bsz], cfg.num_classes), y)

    noise = tf.random.normal(tf.shape(x0))
    ab = gather_ab(t)
    x_t = tf.sqrt(ab) * x0 + tf.sqrt(1.0 - ab) * noise

    with tf.GradientTape() as tape:
        eps = model([x_t, t, y_in], training=True)
        loss = tf.reduce_mean(tf.square(noise - eps))
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, gnorm, tf.reduce_mean(tf.cast(drop, tf.float32))


# ---------------------------------------------------------------- sampling
@tf.function
def guided_ddim_step(x_t, t, t_prev, y, w):
    """One deterministic DDIM step with classifier-free guidance."""
    bsz = tf.shape(x_t)[0]
    null = tf.fill([bsz], cfg.num_classes)
    x_in = tf.concat([x_t, x_t], axis=0)
    t_in = tf.fill([2 * bsz], t)
    y_in = tf.concat([y, null], axis=0)
    eps_c, eps_u = tf.split(model([x_in, t_in, y_in], training=False), 2, axis=0)
    eps = eps_u + w * (eps_c - eps_u)

    ab_t = tf.gather(ALPHAS_BAR, t)
    # t_prev < 0 means "final step": alpha_bar_prev = 1 (select without a Python branch)
    ab_prev = tf.where(t_prev >= 0, tf.gather(ALPHAS_BAR, tf.maximum(t_prev, 0)), 1.0)
    x0_pred = (x_t - tf.sqrt(1.0 - ab_t) * eps) / tf.sqrt(ab_t)
    x0_pred = tf.clip_by_value(x0_pred, -1.0, 1.0)
    return tf.sqrt(ab_prev) * x0_pred + tf.sqrt(1.0 - ab_prev) * eps


def sample(labels, guidance_scale, steps=cfg.sample_steps, seed=0):
    labels = tf.constant(labels, tf.int32)
    x = tf.random.stateless_normal(
        (len(labels), cfg.img_size, cfg.img_size, cfg.channels), seed=[seed, 0])
    timesteps = np.linspace(cfg.T - 1, 0, steps).round().astype(np.int32)
    prev_timesteps = np.append(timesteps[1:], -1)
    w = tf.constant(guidance_scale, tf.float32)
    for t, t_prev in zip(timesteps, prev_timesteps):
        x = guided_ddim_step(x, tf.constant(t), tf.constant(t_prev), labels, w)
    return x.numpy()


def main():
    np.random.seed(0)
    tf.random.set_seed(0)
    imgs, labels = class_patterns(512)
    ds = (tf.data.Dataset.from_tensor_slices((imgs, labels))
          .shuffle(512, reshuffle_each_iteration=True)
          .repeat()
          .batch(cfg.batch_size, drop_remainder=True)
          .prefetch(2))

    print(f"denoiser params: {model.count_params():,}")
    loss_hist = []
    for step, (x0, y) in enumerate(ds.take(cfg.train_steps)):
        loss, gnorm, drop_frac = train_step(x0, y)
        loss_hist.append(float(loss))
        if step % 5 == 0 or step == cfg.train_steps - 1:
            print(f"step {step:3d}  loss {loss:.4f}  |g| {gnorm:.3f}  uncond frac {drop_frac:.2f}")

    query = np.repeat(np.arange(cfg.num_classes), 2)
    for w in cfg.guidance_scales:
        out = sample(query, guidance_scale=w)
        per_class_mean = out.reshape(cfg.num_classes, 2, -1).mean(axis=(1, 2))
        print(f"w={w:.1f}: samples {out.shape}, per-class mean {np.round(per_class_mean, 3)}")


if __name__ == "__main__":
    main()
