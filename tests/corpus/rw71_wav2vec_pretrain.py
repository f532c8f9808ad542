"""Tiny wav2vec 2.0-style self-supervised pretraining in Keras 3.

Components:
  * FeatureEncoder: stack of strided Conv1D on the raw waveform (320x downsampling)
  * GumbelVectorQuantizer: product quantisation of the latent frames
  * ConvPositionalEmbedding + pre-LN Transformer context network
  * contrastive (InfoNCE) loss over masked time steps + codebook diversity loss

Masks are sampled in numpy (like the HF implementation does) and fed to a
compiled train step written with tf.GradientTape.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "conv_dim": (64, 64, 64, 64, 64, 64, 64),
    "conv_kernel": (10, 3, 3, 3, 3, 2, 2),
    "conv_stride": (5, 2, 2, 2, 2, 2, 2),
    "hidden_size": 96,
    "num_layers": 2,
    "num_heads": 4,
    "ffn_dim": 192,
    "pos_conv_kernel": 32,
    "pos_conv_groups": 4,
    "num_codevector_groups": 2,
    "num_codevectors_per_group": 32,
    "codevector_dim": 64,
    "proj_dim": 64,
    "mask_prob": 0.5,
    "mask_length": 4,
    "num_negatives": 10,
    "temperature": 0.1,
    "diversity_weight": 0.1,
    "batch_size": 4,
    "audio_len": 16000,
    "train_steps": 4,
}


def conv_out_length(n, cfg=CONFIG):
    for k, s in zip(cfg["conv_kernel"], cfg["conv_stride"]):
        n = (n - k) // s + 1
    return n


class FeatureEncoder(layers.Layer):
    def __init__(self, dims, kernels, strides, **kwargs):
        super().__init__(**kwargs)
        self.convs = []
        for i, (d, k, s) in enumerate(zip(dims, kernels, strides)):
            self.convs.append(layers.Conv1D(d, k, strides=s, use_bias=False, name=f"conv_{i}"))
        # wav2vec2-base uses GroupNorm on the first layer only
        self.first_norm = layers.GroupNormalization(groups=dims[0], name="gn_0")

    def call(self, wav):
        x = ops.expand_dims(wav, -1)  # (B, T) -> (B, T, 1)
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i == 0:
                x = self.first_norm(x)
            x = ops.gelu(x)
        return x


class GumbelVectorQuantizer(layers.Layer):
    """Product quantiser with G groups of V entries each (straight-through Gumbel)."""

    def __init__(self, groups, num_vars, code_dim, temperature=2.0, **kwargs):
        super().__init__(**kwargs)
        assert code_dim % groups == 0
        self.groups = groups
        self.num_vars = num_vars
        self.code_dim = code_dim
        self.temperature = temperature
        self.weight_proj = layers.Dense(groups * num_vars, name="weight_proj")

    def build(self, input_shape):
        self.codevectors = self.add_weight(
            name="codevectors",
            shape=(1, self.groups * self.num_vars, self.code_dim // self.groups),
            initializer="uniform",
        )
        self.weight_proj.build(input_shape)

    def call(self, x, training=False):
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        logits = self.weight_proj(x)
        logits = ops.reshape(logits, (b * t * self.groups, self.num_vars))

        # perplexity over the (soft) code distribution, used by the diversity loss
        probs = ops.softmax(logits, axis=-1)
        avg_probs = ops.mean(ops.reshape(probs, (b * t, self.groups, self.num_vars)), axis=0)
        perplexity = ops.sum(ops.exp(-ops.sum(avg_probs * ops.log(avg_probs + 1e-7), axis=-1)))

        if training:
            u = keras.random.uniform(ops.shape(logits), minval=1e-6, maxval=1.0 - 1e-6)
            gumbel = -ops.log(-ops.log(u))
            soft = ops.softmax((logits + gumbel) / self.temperature, axis=-1)
        else:
            soft = probs
        hard = ops.one_hot(ops.argmax(soft, axis=-1), self.num_vars, dtype=soft.dtype)
        code_probs = hard + soft - ops.stop_gradient(soft)  # straight-through

        code_probs = ops.reshape(code_probs, (b * t, self.groups * self.num_vars, 1))
        selected = code_probs * self.codevectors                    # (BT, G*V, D/G)
        selected = ops.reshape(selected, (b * t, self.groups, self.num_vars, -1))
        codes = ops.reshape(ops.sum(selected, axis=2), (b, t, self.code_dim))
        return codes, perplexity


class ConvPositionalEmbedding(layers.Layer):
    def __init__(self, hidden, kernel, groups, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv1D(hidden, kernel, padding="same", groups=groups, name="pos_conv")

    def call(self, x):
        return x + ops.gelu(self.conv(x))


class TransformerBlock(layers.Layer):
    def __init__(self, hidden, heads, ffn_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = layers.MultiHeadAttention(heads, hidden // heads, dropout=dropout)
        self.ln2 = layers.LayerNormalization(epsilon=1e-5)
        self.ffn = keras.Sequential([
            layers.Dense(ffn_dim, activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(hidden),
        ])
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        h = self.ln1(x)
        x = x + self.drop(self.attn(h, h, training=training), training=training)
        return x + self.drop(self.ffn(self.ln2(x), training=training), training=training)


class Wav2Vec2Pretrainer(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.feature_encoder = FeatureEncoder(cfg["conv_dim"], cfg["conv_kernel"],
                                              cfg["conv_stride"], name="feature_encoder")
        self.feature_ln = layers.LayerNormalization(epsilon=1e-5)
        self.feature_proj = layers.Dense(cfg["hidden_size"], name="feature_projection")
        self.pos_emb = ConvPositionalEmbedding(cfg["hidden_size"], cfg["pos_conv_kernel"],
                                               cfg["pos_conv_groups"])
        self.blocks = [TransformerBlock(cfg["hidden_size"], cfg["num_heads"], cfg["ffn_dim"],
                                        name=f"layer_{i}") for i in range(cfg["num_layers"])]
        self.final_ln = layers.LayerNormalization(epsilon=1e-5)
        self.quantizer = GumbelVectorQuantizer(cfg["num_codevector_groups"],
                                               cfg["num_codevectors_per_group"],
                                               cfg["codevector_dim"], name="quantizer")
        self.project_q = layers.Dense(cfg["proj_dim"], name="project_q")
        self.project_hid = layers.Dense(cfg["proj_dim"], name="project_hid")

    def build(self, input_shape):
        self.masked_spec_embed = self.add_weight(
            name="masked_spec_embed", shape=(self.cfg["hidden_size"],), initializer="uniform")
        super().build(input_shape)

    def call(self, wav, mask_time_indices=None, training=False):
        feats = self.feature_encoder(wav)
        feats = self.feature_ln(feats)
        hidden = self.feature_proj(feats)
        if mask_time_indices is not None:
            m = ops.cast(ops.expand_dims(mask_time_indices, -1), hidden.dtype)
            hidden = hidden * (1.0 - m) + m * self.masked_spec_embed
        x = self.pos_emb(hidden)
        for block in self.blocks:
            x = block(x, training=training)
        context = self.final_ln(x)

        codes, perplexity = self.quantizer(feats, training=training)
        return self.project_hid(context), self.project_q(codes), perplexity


def compute_span_mask(batch, seq_len, mask_prob, span, rng):
    """numpy span masking, same idea as `_compute_mask_indices` in HF."""
    mask = np.zeros((batch, seq_len), dtype=bool)
    n_spans = max(1, int(mask_prob * seq_len / span + rng.random()))
    for b in range(batch):
        starts = rng.choice(seq_len - span, size=n_spans, replace=False)
        for s in starts:
            mask[b, s:s + span] = True
    return mask


def sample_negative_indices(batch, seq_len, num_neg, rng):
    """For every frame pick `num_neg` other frames of the same utterance."""
    neg = np.zeros((batch, seq_len, num_neg), dtype=np.int32)
    for b in range(batch):
        for t in range(seq_len):
            cand = rng.choice(seq_len - 1, size=num_neg, replace=False)
            cand[cand >= t] += 1  # skip the positive
            neg[b, t] = cand
    return neg


def contrastive_loss(context, quantized, mask, neg_idx, temperature):
    # quantized: (B, T, D) -> gather negatives: (B, T, K, D)
    negatives = tf.gather(quantized, neg_idx, batch_dims=1)
    targets = tf.concat([quantized[:, :, None, :], negatives], axis=2)    # (B, T, 1+K, D)
    ctx = tf.math.l2_normalize(context, axis=-1)[:, :, None, :]
    tgt = tf.math.l2_normalize(targets, axis=-1)
    logits = tf.reduce_sum(ctx * tgt, axis=-1) / temperature                # (B, T, 1+K)

    # positive is always at index 0
    labels = tf.zeros(tf.shape(logits)[:2], dtype=tf.int32)
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    m = tf.cast(mask, xent.dtype)
    return tf.reduce_sum(xent * m) / tf.maximum(tf.reduce_sum(m), 1.0)


def main():
    cfg = CONFIG
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)

    seq_len = conv_out_length(cfg["audio_len"])
    print(f"{cfg['audio_len']} samples -> {seq_len} latent frames")

    model = Wav2Vec2Pretrainer(cfg)
    dummy = np.zeros((1, cfg["audio_len"]), np.float32)
    model(dummy)
    print(f"trainable params: {model.count_params():,}")

    optimizer = keras.optimizers.AdamW(learning_rate=5e-4, weight_decay=0.01)
    total_codes = cfg["num_codevector_groups"] * cfg["num_codevectors_per_group"]

    @tf.function
    def train_step(wav, mask, neg_idx):
        with tf.GradientTape() as tape:
            context, quantized, perplexity = model(wav, mask_time_indices=mask, training=True)
            l_contrast = contrastive_loss(context, quantized, mask, neg_idx, cfg["temperature"])
            l_div = (total_codes - perplexity) / total_codes
            loss = l_contrast + cfg["diversity_weight"] * l_div
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, l_contrast, perplexity

    for step in range(cfg["train_steps"]):
        wav = rng.standard_normal((cfg["batch_size"], cfg["audio_len"])).astype(np.float32)
        # zero-mean unit-variance per utterance, as the feature extractor does
        wav = (wav - wav.mean(1, keepdims=True)) / (wav.std(1, keepdims=True) + 1e-7)
        mask = compute_span_mask(cfg["batch_size"], seq_len, cfg["mask_prob"],
                                 cfg["mask_length"], rng)
        neg = sample_negative_indices(cfg["batch_size"], seq_len, cfg["num_negatives"], rng)
        loss, lc, ppl = train_step(tf.constant(wav), tf.constant(mask), tf.constant(neg))
        print(f"step {step}: loss={float(loss):.3f} contrastive={float(lc):.3f} "
              f"perplexity={float(ppl):.1f}/{total_codes} masked={mask.mean():.2f}")

    # downstream usage: frozen encoder features for a probe
    context, _, _ = model(wav, training=False)
    pooled = ops.mean(context, axis=1)
    print("utterance embeddings:", tuple(pooled.shape), "expected frame rate:",
          f"{cfg['audio_len'] / seq_len:.0f} samples/frame (~{1000 * math.prod(cfg['conv_stride']) / 16000:.0f} ms)")


if __name__ == "__main__":
    main()
