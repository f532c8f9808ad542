"""
Swin-style windowed self-attention (W-MSA / SW-MSA) in plain Keras 3 + TF.

- window_partition / window_reverse via reshape + transpose
- cyclic shift with tf.roll and a precomputed attention mask
- learned relative position bias table
- patch merging between stages
Trained for a couple of epochs on a toy "which quadrant is brighter" task.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

IMG = 32
PATCH = 2           # -> 16x16 tokens
EMBED = 32
WINDOW = 4
HEADS = [2, 4]
DEPTHS = [2, 2]
N_CLASSES = 4


def window_partition(x, window_size):
    """(B, H, W, C) -> (B * nW, ws*ws, C)"""
    _, h, w, c = x.shape
    x = tf.reshape(x, [-1, h // window_size, window_size, w // window_size, window_size, c])
    x = tf.transpose(x, [0, 1, 3, 2, 4, 5])
    return tf.reshape(x, [-1, window_size * window_size, c])


def window_reverse(windows, window_size, h, w):
    """(B * nW, ws*ws, C) -> (B, H, W, C)"""
    c = windows.shape[-1]
    x = tf.reshape(windows, [-1, h // window_size, w // window_size, window_size, window_size, c])
    x = tf.transpose(x, [0, 1, 3, 2, 4, 5])
    return tf.reshape(x, [-1, h, w, c])


def relative_position_index(ws):
    coords = np.stack(np.meshgrid(np.arange(ws), np.arange(ws), indexing="ij"))  # 2, ws, ws
    flat = coords.reshape(2, -1)
    rel = flat[:, :, None] - flat[:, None, :]          # 2, N, N
    rel = rel.transpose(1, 2, 0) + (ws - 1)
    rel[..., 0] *= 2 * ws - 1
    return rel.sum(-1).astype("int32")                 # N, N


def shifted_window_mask(h, w, ws, shift):
    img_mask = np.zeros((1, h, w, 1), dtype="float32")
    slices = (slice(0, -ws), slice(-ws, -shift), slice(-shift, None))
    cnt = 0
    for hs in slices:
        for wsl in slices:
            img_mask[:, hs, wsl, :] = cnt
            cnt += 1
    mw = window_partition(tf.constant(img_mask), ws)[..., 0]      # nW, N
    diff = mw[:, None, :] - mw[:, :, None]
    return tf.where(diff != 0, -100.0, 0.0)                       # nW, N, N


class WindowAttention(layers.Layer):
    def __init__(self, dim, window_size, num_heads, **kw):
        super().__init__(**kw)
        self.dim, self.ws, self.heads = dim, window_size, num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = layers.Dense(dim * 3)
        self.proj = layers.Dense(dim)
        self.rel_index = tf.constant(relative_position_index(window_size))

    def build(self, input_shape):
        self.bias_table = self.add_weight(
            name="relative_position_bias_table",
            shape=((2 * self.ws - 1) ** 2, self.heads),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        )
        self.qkv.build(input_shape)
        self.proj.build(input_shape)

    def call(self, x, mask=None):
        n = x.shape[1]
        head_dim = self.dim // self.heads
        qkv = self.qkv(x)
        qkv = tf.reshape(qkv, [-1, n, 3, self.heads, head_dim])
        qkv = tf.transpose(qkv, [2, 0, 3, 1, 4])
        q, k, v = qkv[0] * self.scale, qkv[1], qkv[2]
        attn = tf.matmul(q, k, transpose_b=True)          # B_, heads, N, N

        bias = tf.gather(self.bias_table, tf.reshape(self.rel_index, [-1]))
        bias = tf.reshape(bias, [n, n, self.heads])
        attn = attn + tf.transpose(bias, [2, 0, 1])[None]

        if mask is not None:
            n_w = mask.shape[0]
            attn = tf.reshape(attn, [-1, n_w, self.heads, n, n]) + mask[None, :, None]
            attn = tf.reshape(attn, [-1, self.heads, n, n])
        attn = tf.nn.softmax(attn, axis=-1)
        out = tf.matmul(attn, v)
        out = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [-1, n, self.dim])
        return self.proj(out)


class SwinBlock(layers.Layer):
    def __init__(self, dim, resolution, num_heads, window_size, shift, **kw):
        super().__init__(**kw)
        self.dim = dim
        self.h, self.w = resolution
        self.ws = min(window_size, self.h)
        self.shift = 0 if self.h <= window_size else shift
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = WindowAttention(dim, self.ws, num_heads)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([layers.Dense(dim * 4, activation="gelu"), layers.Dense(dim)])
        self.attn_mask = (
            shifted_window_mask(self.h, self.w, self.ws, self.shift) if self.shift > 0 else None
        )

    def call(self, x):
        # x: (B, H*W, C)
        shortcut = x
        x = tf.reshape(self.norm1(x), [-1, self.h, self.w, self.dim])
        if self.shift:
            x = tf.roll(x, shift=[-self.shift, -self.shift], axis=[1, 2])
        win = window_partition(x, self.ws)
        win = self.attn(win, mask=self.attn_mask)
        x = window_reverse(win, self.ws, self.h, self.w)
        if self.shift:
            x = tf.roll(x, shift=[self.shift, self.shift], axis=[1, 2])
        x = shortcut + tf.reshape(x, [-1, self.h * self.w, self.dim])
        return x + self.mlp(self.norm2(x))


class PatchMerging(layers.Layer):
    def __init__(self, resolution, dim, **kw):
        super().__init__(**kw)
        self.h, self.w = resolution
        self.dim = dim
        self.norm = layers.LayerNormalization(epsilon=1e-5)
        self.reduction = layers.Dense(2 * dim, use_bias=False)

    def call(self, x):
        x = tf.reshape(x, [-1, self.h, self.w, self.dim])
        parts = [x[:, i::2, j::2, :] for i in (0, 1) for j in (0, 1)]
        x = tf.concat(parts, axis=-1)
        x = tf.reshape(x, [-1, (self.h // 2) * (self.w // 2), 4 * self.dim])
        return self.reduction(self.norm(x))


def build_swin():
    inputs = keras.Input((IMG, IMG, 3))
    x = layers.Conv2D(EMBED, PATCH, strides=PATCH, name="patch_embed")(inputs)
    res = IMG // PATCH
    x = layers.Reshape((res * res, EMBED))(x)
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    dim = EMBED
    for stage, (depth, heads) in enumerate(zip(DEPTHS, HEADS)):
        for i in range(depth):
            x = SwinBlock(
                dim, (res, res), heads, WINDOW,
                shift=0 if i % 2 == 0 else WINDOW // 2,
                name=f"swin_s{stage}_b{i}",
            )(x)
        if stage < len(DEPTHS) - 1:
            x = PatchMerging((res, res), dim, name=f"merge_{stage}")(x)
            res //= 2
            dim *= 2
    x = layers.LayerNormalization(epsilon=1e-5)(x)
    x = layers.GlobalAveragePooling1D()(x)
    outputs = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mini_swin")


def quadrant_data(n=256, seed=3):
    r = np.random.default_rng(seed)
    x = r.uniform(0, 0.5, (n, IMG, IMG, 3)).astype("float32")
    y = r.integers(0, 4, n)
    half = IMG // 2
    for i, q in enumerate(y):
        r0, c0 = (q // 2) * half, (q % 2) * half
        x[i, r0:r0 + half, c0:c0 + half] += 0.4
    return x, keras.utils.to_categorical(y, N_CLASSES)


if __name__ == "__main__":
    # round-trip check of the partition helpers
    probe = tf.random.normal((2, 8, 8, 5))
    back = window_reverse(window_partition(probe, 4), 4, 8, 8)
    print("partition/reverse round trip max err:", float(ops.max(ops.abs(back - probe))))
    print("shift mask shape:", shifted_window_mask(16, 16, WINDOW, WINDOW // 2).shape)

    x, y = quadrant_data()
    model = build_swin()
    model.summary()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=2, validation_split=0.2, verbose=2)
    probs = model.predict(x[:5], verbose=0)
    for p, t in zip(probs, y[:5]):
        print(f"pred={p.argmax()} (p={p.max():.2f})  true={t.argmax()}")
