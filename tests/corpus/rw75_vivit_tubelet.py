"""Minimal ViViT (video vision transformer) with tubelet embedding.

- frames are sampled with a fixed temporal stride from longer videos
  (tf.data + tf.gather), streamed from a Python generator
- the clip is cut into non-overlapping spatio-temporal "tubelets"
  (equivalent to a Conv3D with kernel == stride), which become tokens
- learned positional embedding + CLS token, pre-norm transformer blocks
- the Model subclass overrides train_step to add temporal mixup
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

HPARAMS = dict(
    video_frames=32,
    clip_frames=8,
    frame_stride=3,
    image_size=32,
    patch_size=(2, 8, 8),      # (t, h, w) tubelet
    embed_dim=64,
    num_heads=4,
    num_layers=2,
    mlp_ratio=2,
    num_classes=6,
    batch_size=8,
    steps_per_epoch=4,
    mixup_alpha=0.2,
)


def video_generator(n_videos, hp, seed=0):
    rng = np.random.default_rng(seed)
    T, S = hp["video_frames"], hp["image_size"]
    for _ in range(n_videos):
        label = int(rng.integers(hp["num_classes"]))
        speed = (label + 1) / hp["num_classes"]
        t = np.arange(T, dtype=np.float32)[:, None, None]
        xs = np.arange(S, dtype=np.float32)[None, None, :]
        # vertical stripes drifting horizontally at a class-dependent speed
        frame = 0.5 + 0.5 * np.sin(0.5 * xs - speed * t)
        video = np.repeat(frame[:, :, :, None], 3, axis=-1) * np.ones((1, S, 1, 1), np.float32)
        video += rng.normal(0, 0.05, video.shape).astype(np.float32)
        yield video.astype(np.float32), label


def strided_clip(video, label, hp, training):
    n = tf.shape(video)[0]
    span = hp["clip_frames"] * hp["frame_stride"]
    max_start = tf.maximum(n - span, 0)
    if training:
        start = tf.random.uniform([], 0, max_start + 1, dtype=tf.int32)
    else:
        start = max_start // 2
    idx = tf.range(start, start + span, hp["frame_stride"])
    idx = tf.minimum(idx, n - 1)             # guard against short videos
    clip = tf.gather(video, idx)
    clip = tf.ensure_shape(clip, (hp["clip_frames"], hp["image_size"], hp["image_size"], 3))
    return clip, tf.one_hot(label, hp["num_classes"])


def make_ds(n_videos, hp, training, seed):
    sig = (tf.TensorSpec((None, hp["image_size"], hp["image_size"], 3), tf.float32),
           tf.TensorSpec((), tf.int32))
    ds = tf.data.Dataset.from_generator(lambda: video_generator(n_videos, hp, seed),
                                        output_signature=sig)
    ds = ds.map(lambda v, y: strided_clip(v, y, hp, training))
    if training:
        ds = ds.shuffle(32).repeat()
    return ds.batch(hp["batch_size"], drop_remainder=training).prefetch(tf.data.AUTOTUNE)


class TubeletEmbedding(layers.Layer):
    """Cuts the clip into non-overlapping (pt, ph, pw) tubelets and projects each one.

    Mathematically identical to Conv3D(kernel=stride=patch_size), but done as
    reshape/transpose + Dense, which trains much faster on CPU (the strided
    Conv3D backprop-filter kernel is painfully slow there).
    """

    def __init__(self, embed_dim, patch_size, **kwargs):
        super().__init__(**kwargs)
        self.patch_size = tuple(patch_size)
        self.projection = layers.Dense(embed_dim, name="proj")

    def call(self, videos):
        pt, ph, pw = self.patch_size
        _, T, H, W, C = videos.shape
        nt, nh, nw = T // pt, H // ph, W // pw
        x = tf.reshape(videos, (-1, nt, pt, nh, ph, nw, pw, C))
        x = tf.transpose(x, (0, 1, 3, 5, 2, 4, 6, 7))          # (B, nt, nh, nw, pt, ph, pw, C)
        x = tf.reshape(x, (-1, nt * nh * nw, pt * ph * pw * C))  # one row per tubelet
        return self.projection(x)                              # (B, nt*nh*nw, D)


class PositionalEncoder(layers.Layer):
    """Prepends a CLS token and adds learned position embeddings."""

    def __init__(self, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim

    def build(self, input_shape):
        num_tokens = input_shape[1]
        self.cls_token = self.add_weight(name="cls", shape=(1, 1, self.embed_dim),
                                         initializer="zeros")
        self.pos_embed = self.add_weight(name="pos", shape=(1, num_tokens + 1, self.embed_dim),
                                         initializer=keras.initializers.TruncatedNormal(stddev=0.02))

    def call(self, tokens):
        batch = tf.shape(tokens)[0]
        cls = tf.tile(self.cls_token, [batch, 1, 1])
        return tf.concat([cls, tokens], axis=1) + self.pos_embed


def transformer_block(x, hp, idx):
    d = hp["embed_dim"]
    h = layers.LayerNormalization(epsilon=1e-6, name=f"blk{idx}_ln1")(x)
    h = layers.MultiHeadAttention(num_heads=hp["num_heads"], key_dim=d // hp["num_heads"],
                                  dropout=0.1, name=f"blk{idx}_mha")(h, h)
    x = layers.Add()([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"blk{idx}_ln2")(x)
    h = layers.Dense(d * hp["mlp_ratio"], activation=keras.activations.gelu)(h)
    h = layers.Dense(d)(h)
    return layers.Add()([x, h])


class MixupVideoModel(keras.Model):
    """Functional model wrapper whose train_step mixes pairs of clips."""

    def __init__(self, *args, mixup_alpha=0.2, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixup_alpha = mixup_alpha

    def train_step(self, data):
        x, y = data
        # lambda ~ Beta(a, a) via two gamma samples
        g1 = tf.random.gamma([], self.mixup_alpha)
        g2 = tf.random.gamma([], self.mixup_alpha)
        lam = g1 / (g1 + g2)
        perm = tf.random.shuffle(tf.range(tf.shape(x)[0]))
        x_mix = lam * x + (1.0 - lam) * tf.gather(x, perm)
        y_mix = lam * y + (1.0 - lam) * tf.gather(y, perm)

        with tf.GradientTape() as tape:
            y_pred = self(x_mix, training=True)
            loss = self.compute_loss(x=x_mix, y=y_mix, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y_mix, y_pred)
        return {m.name: m.result() for m in self.metrics}


def build_vivit(hp):
    inp = keras.Input((hp["clip_frames"], hp["image_size"], hp["image_size"], 3))
    tokens = TubeletEmbedding(hp["embed_dim"], hp["patch_size"], name="tubelets")(inp)
    x = PositionalEncoder(hp["embed_dim"], name="pos_enc")(tokens)
    for i in range(hp["num_layers"]):
        x = transformer_block(x, hp, i)
    x = layers.LayerNormalization(epsilon=1e-6)(x)
    cls = x[:, 0]                                        # CLS token representation
    out = layers.Dense(hp["num_classes"], activation="softmax")(cls)
    return MixupVideoModel(inp, out, mixup_alpha=hp["mixup_alpha"], name="vivit_tiny")


if __name__ == "__main__":
    hp = HPARAMS
    train_ds = make_ds(64, hp, training=True, seed=1)
    val_ds = make_ds(16, hp, training=False, seed=2)

    clips, ys = next(iter(train_ds))
    pt, ph, pw = hp["patch_size"]
    n_tokens = (hp["clip_frames"] // pt) * (hp["image_size"] // ph) * (hp["image_size"] // pw)
    print("clips:", clips.shape, "labels:", ys.shape, "-> tokens per clip:", n_tokens)

    model = build_vivit(hp)
    model.summary(line_length=100)

    schedule = keras.optimizers.schedules.CosineDecay(
        1e-3, decay_steps=hp["steps_per_epoch"] * 10, warmup_target=None)
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.05),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=[keras.metrics.CategoricalAccuracy(name="acc")])
    model.fit(train_ds, steps_per_epoch=hp["steps_per_epoch"], epochs=1,
              validation_data=val_ds, verbose=2)

    # Attention over the CLS token from the last block, for visualisation
    mha = model.get_layer(f"blk{hp['num_layers'] - 1}_mha")
    probe = keras.Model(model.input, model.get_layer(f"blk{hp['num_layers'] - 1}_ln1").output)
    h = probe(clips[:1])
    _, scores = mha(h, h, return_attention_scores=True)
    cls_attn = tf.reduce_mean(scores[0, :, 0, 1:], axis=0)   # avg over heads, drop CLS->CLS
    grid = tf.reshape(cls_attn, (hp["clip_frames"] // pt, hp["image_size"] // ph,
                                 hp["image_size"] // pw))
    print("CLS attention map (t, h, w):", grid.shape,
          "peak tubelet:", np.unravel_index(int(tf.argmax(cls_attn)), grid.shape))
