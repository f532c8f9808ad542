# conformer_ctc.py -- small Conformer encoder + CTC head, single file version
# of our asr_playground repo (models/conformer.py, train_ctc.py, configs/*.yaml)
import argparse
import dataclasses
import math
from functools import partial

import numpy as np
import tensorflow as tf
import keras
from keras import layers as L


@dataclasses.dataclass
class ConformerConfig:
    d_model: int = 64
    num_heads: int = 4
    ff_mult: int = 4
    conv_kernel: int = 15
    num_blocks: int = 2
    dropout: float = 0.1
    n_mels: int = 40
    vocab_size: int = 29  # blank + a-z + space + '
    subsample: int = 4


VARIANTS = {
    "xs": dict(d_model=32, num_heads=2, num_blocks=1),
    "s": dict(d_model=64, num_heads=4, num_blocks=2),
}

Dense = partial(L.Dense, kernel_initializer="glorot_uniform")


@keras.saving.register_keras_serializable(package="conformer")
class FeedForwardModule(L.Layer):
    def __init__(self, d_model, mult=4, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.mult, self.dropout = d_model, mult, dropout
        self.ln = L.LayerNormalization()
        self.fc1 = Dense(d_model * mult, activation="swish")
        self.fc2 = Dense(d_model)
        self.do1 = L.Dropout(dropout)
        self.do2 = L.Dropout(dropout)

    def call(self, x, training=False):
        h = self.do1(self.fc1(self.ln(x)), training=training)
        return self.do2(self.fc2(h), training=training)

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "mult": self.mult,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="conformer")
class ConvModule(L.Layer):
    def __init__(self, d_model, kernel_size=15, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.kernel_size, self.dropout = d_model, kernel_size, dropout
        self.ln = L.LayerNormalization()
        self.pw1 = L.Conv1D(2 * d_model, 1)
        self.dw = L.DepthwiseConv1D(kernel_size, padding="same", use_bias=False)
        self.bn = L.BatchNormalization()
        self.pw2 = L.Conv1D(d_model, 1)
        self.do = L.Dropout(dropout)

    def call(self, x, training=False):
        h = self.pw1(self.ln(x))
        a, gate = tf.split(h, 2, axis=-1)
        h = a * tf.sigmoid(gate)  # GLU
        h = self.dw(h)
        h = tf.nn.silu(self.bn(h, training=training))
        return self.do(self.pw2(h), training=training)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(d_model=self.d_model, kernel_size=self.kernel_size, dropout=self.dropout)
        return cfg


@keras.saving.register_keras_serializable(package="conformer")
class ConformerBlock(L.Layer):
    """Macaron FFN -> MHSA -> Conv -> FFN -> LN, each half-step residual."""

    def __init__(self, d_model, num_heads, ff_mult=4, conv_kernel=15, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.num_heads = d_model, num_heads
        self.ff_mult, self.conv_kernel, self.dropout = ff_mult, conv_kernel, dropout
        self.ff1 = FeedForwardModule(d_model, ff_mult, dropout)
        self.ff2 = FeedForwardModule(d_model, ff_mult, dropout)
        self.mha_ln = L.LayerNormalization()
        self.mha = L.MultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)
        self.conv = ConvModule(d_model, conv_kernel, dropout)
        self.out_ln = L.LayerNormalization()

    def call(self, x, mask=None, training=False):
        x = x + 0.5 * self.ff1(x, training=training)
        h = self.mha_ln(x)
        attn_mask = None
        if mask is not None:
            attn_mask = tf.logical_and(mask[:, :, None], mask[:, None, :])
        x = x + self.mha(h, h, attention_mask=attn_mask, training=training)
        x = x + self.conv(x, training=training)
        x = x + 0.5 * self.ff2(x, training=training)
        return self.out_ln(x)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(d_model=self.d_model, num_heads=self.num_heads, ff_mult=self.ff_mult,
                   conv_kernel=self.conv_kernel, dropout=self.dropout)
        return cfg


class ConformerCTC(keras.Model):
    def __init__(self, cfg: ConformerConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.subsampler = keras.Sequential([
            L.Reshape((-1, cfg.n_mels, 1)),
            L.Conv2D(cfg.d_model, 3, strides=2, padding="same", activation="relu"),
            L.Conv2D(cfg.d_model, 3, strides=2, padding="same", activation="relu"),
        ], name="conv_subsample")
        self.proj = Dense(cfg.d_model)
        self.blocks = [ConformerBlock(cfg.d_model, cfg.num_heads, cfg.ff_mult, cfg.conv_kernel,
                                      cfg.dropout, name=f"conformer_{i}")
                       for i in range(cfg.num_blocks)]
        self.head = Dense(cfg.vocab_size, name="ctc_logits")
        self.loss_tracker = keras.metrics.Mean(name="ctc_loss")

    def call(self, feats, training=False):
        x = self.subsampler(feats, training=training)
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [b, t, x.shape[2] * x.shape[3]])
        x = self.proj(x)
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.head(x)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _ctc(self, labels, label_len, logits, feat_len):
        logit_len = tf.cast(tf.math.ceil(feat_len / self.cfg.subsample), tf.int32)
        loss = tf.nn.ctc_loss(labels=labels, logits=logits, label_length=label_len,
                              logit_length=logit_len, logits_time_major=False, blank_index=0)
        return tf.reduce_mean(loss)

    def train_step(self, batch):
        feats, feat_len, labels, label_len = batch
        with tf.GradientTape() as tape:
            logits = self(feats, training=True)
            loss = self._ctc(labels, label_len, logits, tf.cast(feat_len, tf.float32))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"ctc_loss": self.loss_tracker.result()}


class TransformerSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Noam schedule from 'Attention is all you need'."""

    def __init__(self, d_model, warmup_steps=4000, scale=1.0):
        super().__init__()
        self.d_model = d_model
        self.warmup_steps = warmup_steps
        self.scale = scale

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        arg1 = tf.math.rsqrt(step)
        arg2 = step * (self.warmup_steps ** -1.5)
        return self.scale * tf.math.rsqrt(tf.cast(self.d_model, tf.float32)) * tf.minimum(arg1, arg2)

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps, "scale": self.scale}


def spec_augment(feats, max_f=6, max_t=8):
    n_frames, n_mels = tf.shape(feats)[0], tf.shape(feats)[1]
    f = tf.random.uniform([], 0, max_f, dtype=tf.int32)
    f0 = tf.random.uniform([], 0, n_mels - f, dtype=tf.int32)
    fmask = tf.logical_or(tf.range(n_mels) < f0, tf.range(n_mels) >= f0 + f)
    t = tf.random.uniform([], 0, max_t, dtype=tf.int32)
    t0 = tf.random.uniform([], 0, n_frames - t, dtype=tf.int32)
    tmask = tf.logical_or(tf.range(n_frames) < t0, tf.range(n_frames) >= t0 + t)
    mask = tf.cast(tmask[:, None], feats.dtype) * tf.cast(fmask[None, :], feats.dtype)
    return feats * mask


def fake_utterances(n, n_frames, n_mels, vocab, max_label=6, seed=1):
    rng = np.random.default_rng(seed)
    feats = rng.standard_normal((n, n_frames, n_mels)).astype(np.float32)
    feat_len = rng.integers(n_frames // 2, n_frames + 1, size=n).astype(np.int32)
    label_len = rng.integers(2, max_label + 1, size=n).astype(np.int32)
    labels = np.zeros((n, max_label), dtype=np.int32)
    for i, ll in enumerate(label_len):
        labels[i, :ll] = rng.integers(1, vocab, size=ll)
        feats[i, feat_len[i]:] = 0.0
    return feats, feat_len, labels, label_len


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--variants", default="xs,s")
    p.add_argument("--frames", type=int, default=64)
    p.add_argument("--batch_size", type=int, default=4)
    p.add_argument("--steps", type=int, default=2)
    p.add_argument("--warmup", type=int, default=100)
    args = p.parse_args([])

    base = ConformerConfig()
    feats, feat_len, labels, label_len = fake_utterances(16, args.frames, base.n_mels, base.vocab_size)
    ds = tf.data.Dataset.from_tensor_slices((feats, feat_len, labels, label_len))
    ds = ds.map(lambda f, fl, y, yl: (spec_augment(f), fl, y, yl), num_parallel_calls=2)
    ds = ds.batch(args.batch_size, drop_remainder=True).repeat()

    for variant in args.variants.split(","):
        cfg = dataclasses.replace(base, **VARIANTS[variant])
        model = ConformerCTC(cfg, name=f"conformer_{variant}")
        sched = TransformerSchedule(cfg.d_model, warmup_steps=args.warmup, scale=2.0)
        model.compile(optimizer=keras.optimizers.Adam(sched, beta_1=0.9, beta_2=0.98, epsilon=1e-9))
        hist = model.fit(ds, epochs=1, steps_per_epoch=args.steps, verbose=0)

        logits = model(feats[:2], training=False)
        decoded, _ = tf.nn.ctc_greedy_decoder(tf.transpose(logits, [1, 0, 2]),
                                              sequence_length=tf.fill([2], tf.shape(logits)[1]))
        dense = tf.sparse.to_dense(decoded[0])
        print(f"[{variant}] d_model={cfg.d_model} blocks={cfg.num_blocks} "
              f"params={model.count_params():,} ctc={hist.history['ctc_loss'][-1]:.2f} "
              f"lr@1={float(sched(1)):.2e} decoded_shape={tuple(dense.shape)}")

    blk = ConformerBlock(32, 2, name="roundtrip")
    blk2 = ConformerBlock.from_config(blk.get_config())
    y = blk2(tf.random.normal((1, 10, 32)))
    assert y.shape == (1, 10, 32)
    print("roundtrip ok, expected frames after subsample:", math.ceil(args.frames / base.subsample))


if __name__ == "__main__":
    main()
