"""Conformer-CTC phoneme recogniser (Gulati et al., 2020), Keras 3 + tf.data.

* log-mel fbank computed in the input pipeline with tf.signal
* Conv2D subsampling (4x in time)
* Conformer blocks: FFN/2 -> MHSA (with padding mask) -> conv module -> FFN/2
* CTC loss via keras.ops.ctc_loss, inside an overridden `compute_loss`
* greedy decoding via keras.ops.ctc_decode + phone error rate
"""
from types import SimpleNamespace

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

hp = SimpleNamespace(
    sample_rate=16000,
    win_ms=25, hop_ms=10, n_mels=40,
    d_model=64, num_heads=4, ff_mult=4, conv_kernel=15,
    num_blocks=2, dropout=0.1,
    num_phones=30,            # ids 1..30, 0 is the CTC blank
    batch_size=8, num_utts=32, epochs=1,
    peak_lr=1e-3, warmup_steps=10,
)
WIN = hp.sample_rate * hp.win_ms // 1000
HOP = hp.sample_rate * hp.hop_ms // 1000
NFFT = 512
MEL_W = tf.signal.linear_to_mel_weight_matrix(hp.n_mels, NFFT // 2 + 1, hp.sample_rate, 20.0, 8000.0)


# ----------------------------------------------------------------------------- data
def log_mel_fbank(wav):
    spec = tf.abs(tf.signal.stft(wav, WIN, HOP, NFFT, window_fn=tf.signal.hamming_window))
    fbank = tf.math.log(tf.matmul(tf.square(spec), MEL_W) + 1e-6)
    mu, var = tf.nn.moments(fbank, axes=[0], keepdims=True)
    return (fbank - mu) * tf.math.rsqrt(var + 1e-5)


def to_example(wav, phones):
    feats = log_mel_fbank(wav)
    inputs = {"features": feats, "feature_lengths": tf.shape(feats)[0]}
    return inputs, phones


def make_dataset(n, seed):
    rng = np.random.default_rng(seed)
    wavs, labels = [], []
    for _ in range(n):
        dur = rng.uniform(0.6, 1.4)
        wavs.append((0.1 * rng.standard_normal(int(dur * hp.sample_rate))).astype(np.float32))
        labels.append(rng.integers(1, hp.num_phones + 1, size=rng.integers(4, 12)).astype(np.int32))

    def gen():
        yield from zip(wavs, labels)

    ds = tf.data.Dataset.from_generator(gen, output_signature=(
        tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.int32)))
    ds = ds.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)
    # bucket-free padded batching; 0 padding is fine for both feats and labels
    ds = ds.padded_batch(hp.batch_size, padded_shapes=(
        {"features": [None, hp.n_mels], "feature_lengths": []}, [None]))
    return ds.prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------- model
class ConvSubsampling(layers.Layer):
    def __init__(self, d_model, **kw):
        super().__init__(**kw)
        self.conv1 = layers.Conv2D(d_model, 3, strides=2, padding="same", activation="relu")
        self.conv2 = layers.Conv2D(d_model, 3, strides=2, padding="same", activation="relu")
        self.proj = layers.Dense(d_model)

    def call(self, x, lengths):
        x = self.conv2(self.conv1(ops.expand_dims(x, -1)))        # (B, T/4, F/4, C)
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (b, t, x.shape[2] * x.shape[3]))
        for _ in range(2):                                        # "same" padding => ceil(len / 2)
            lengths = (lengths + 1) // 2
        return self.proj(x), lengths


class FeedForwardModule(layers.Layer):
    def __init__(self, d_model, mult, dropout, **kw):
        super().__init__(**kw)
        self.ln = layers.LayerNormalization()
        self.fc1 = layers.Dense(d_model * mult, activation="swish")
        self.fc2 = layers.Dense(d_model)
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        h = self.drop(self.fc1(self.ln(x)), training=training)
        return self.drop(self.fc2(h), training=training)


class ConvModule(layers.Layer):
    def __init__(self, d_model, kernel_size, dropout, **kw):
        super().__init__(**kw)
        self.ln = layers.LayerNormalization()
        self.pw1 = layers.Conv1D(2 * d_model, 1)
        self.dw = layers.DepthwiseConv1D(kernel_size, padding="same")
        self.bn = layers.BatchNormalization()
        self.pw2 = layers.Conv1D(d_model, 1)
        self.drop = layers.Dropout(dropout)

    def call(self, x, pad_mask, training=False):
        h = self.pw1(self.ln(x))
        a, gate = ops.split(h, 2, axis=-1)
        h = a * ops.sigmoid(gate)                                  # GLU
        h = h * ops.cast(pad_mask[..., None], h.dtype)             # keep padding out of the conv
        h = ops.silu(self.bn(self.dw(h), training=training))
        return self.drop(self.pw2(h), training=training)


class ConformerBlock(layers.Layer):
    def __init__(self, d_model, heads, ff_mult, kernel_size, dropout, **kw):
        super().__init__(**kw)
        self.ff1 = FeedForwardModule(d_model, ff_mult, dropout)
        self.ff2 = FeedForwardModule(d_model, ff_mult, dropout)
        self.ln_att = layers.LayerNormalization()
        self.mhsa = layers.MultiHeadAttention(heads, d_model // heads, dropout=dropout)
        self.att_drop = layers.Dropout(dropout)
        self.conv = ConvModule(d_model, kernel_size, dropout)
        self.ln_out = layers.LayerNormalization()

    def call(self, x, pad_mask, training=False):
        x = x + 0.5 * self.ff1(x, training=training)
        h = self.ln_att(x)
        att_mask = ops.logical_and(pad_mask[:, :, None], pad_mask[:, None, :])   # (B, T, T)
        x = x + self.att_drop(self.mhsa(h, h, attention_mask=att_mask, training=training),
                              training=training)
        x = x + self.conv(x, pad_mask, training=training)
        x = x + 0.5 * self.ff2(x, training=training)
        return self.ln_out(x)


class ConformerCTC(keras.Model):
    def __init__(self, hp, **kw):
        super().__init__(**kw)
        self.subsample = ConvSubsampling(hp.d_model)
        self.in_drop = layers.Dropout(hp.dropout)
        self.blocks = [ConformerBlock(hp.d_model, hp.num_heads, hp.ff_mult, hp.conv_kernel,
                                      hp.dropout, name=f"conformer_{i}")
                       for i in range(hp.num_blocks)]
        self.classifier = layers.Dense(hp.num_phones + 1, name="ctc_logits")

    def encode(self, inputs, training=False):
        x, lengths = self.subsample(inputs["features"], inputs["feature_lengths"])
        pad_mask = ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None]
        x = self.in_drop(x, training=training)
        for blk in self.blocks:
            x = blk(x, pad_mask, training=training)
        return self.classifier(x), lengths

    def call(self, inputs, training=False):
        logits, _ = self.encode(inputs, training=training)
        return logits

    def output_lengths(self, feature_lengths):
        return (((feature_lengths + 1) // 2) + 1) // 2

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        label_len = ops.sum(ops.cast(ops.not_equal(y, 0), "int32"), axis=-1)
        logit_len = self.output_lengths(x["feature_lengths"])
        loss = ops.ctc_loss(y, y_pred, label_len, logit_len, mask_index=0)
        return ops.mean(loss) + ops.sum(self.losses) if self.losses else ops.mean(loss)


class NoamSchedule(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps):
        self.peak_lr = peak_lr
        self.warmup = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0
        return self.peak_lr * ops.minimum(step / self.warmup, ops.sqrt(self.warmup / step))

    def get_config(self):
        return {"peak_lr": self.peak_lr, "warmup_steps": self.warmup}


def edit_distance(a, b):
    d = np.arange(len(b) + 1)
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


def phone_error_rate(model, ds):
    errs, total = 0, 0
    for inputs, labels in ds:
        logits, lengths = model.encode(inputs, training=False)
        decoded, _ = ops.ctc_decode(ops.softmax(logits), lengths, strategy="greedy", mask_index=0)
        hyps = ops.convert_to_numpy(decoded[0])
        for hyp, ref in zip(hyps, labels.numpy()):
            ref = ref[ref > 0]
            hyp = hyp[hyp > 0]       # decoded is padded with -1
            errs += edit_distance(list(hyp), list(ref))
            total += len(ref)
    return errs / max(total, 1)


if __name__ == "__main__":
    keras.utils.set_random_seed(1234)
    train_ds = make_dataset(hp.num_utts, seed=0)
    dev_ds = make_dataset(16, seed=1)

    model = ConformerCTC(hp, name="conformer_ctc")
    sample_inputs, sample_labels = next(iter(train_ds))
    logits = model(sample_inputs)
    print("features", sample_inputs["features"].shape, "-> logits", logits.shape,
          "| labels", sample_labels.shape)
    model.summary()

    model.compile(optimizer=keras.optimizers.Adam(NoamSchedule(hp.peak_lr, hp.warmup_steps),
                                                  beta_2=0.98, epsilon=1e-9, clipnorm=5.0))
    model.fit(train_ds, validation_data=dev_ds, epochs=hp.epochs, verbose=2)
    print(f"dev PER (greedy): {100 * phone_error_rate(model, dev_ds):.1f}%")
