"""DeepSpeech2-style ASR model trained with CTC loss.

Spectrogram frontend (tf.signal) -> 2D conv stack -> bidirectional GRUs ->
per-frame character logits. Training uses a custom `train_step` with
tf.nn.ctc_loss; decoding uses greedy CTC. Data is random noise paired with
random transcripts, just enough to exercise the pipeline end to end.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class ASRConfig:
    sample_rate: int = 16000
    frame_length: int = 256
    frame_step: int = 160
    fft_length: int = 256
    max_audio_len: int = 16000 * 2          # 2 seconds max
    max_label_len: int = 24
    rnn_units: int = 64
    rnn_layers: int = 2
    conv_filters: tuple = (16, 16)
    batch_size: int = 8
    num_examples: int = 32
    vocab: list = field(default_factory=lambda: list("abcdefghijklmnopqrstuvwxyz'?! "))


CFG = ASRConfig()

char_to_num = layers.StringLookup(vocabulary=CFG.vocab, oov_token="")
num_to_char = layers.StringLookup(vocabulary=char_to_num.get_vocabulary(), oov_token="", invert=True)
VOCAB_SIZE = char_to_num.vocabulary_size()  # includes the oov/"" token at index 0
print(f"vocab size (with oov): {VOCAB_SIZE}")


def random_transcripts(n, rng):
    words = ["the", "cat", "sat", "on", "mat", "hello", "world", "speech", "model", "audio"]
    out = []
    for _ in range(n):
        k = rng.integers(1, 4)
        out.append(" ".join(rng.choice(words, size=k)))
    return out


def wav_to_spectrogram(audio):
    # normalise loudness then take a log-magnitude STFT
    audio = audio - tf.reduce_mean(audio)
    audio = audio / (tf.reduce_max(tf.abs(audio)) + 1e-9)
    spec = tf.signal.stft(audio, CFG.frame_length, CFG.frame_step, CFG.fft_length)
    spec = tf.math.pow(tf.abs(spec), 0.5)
    # per-utterance mean/variance normalisation
    means = tf.math.reduce_mean(spec, axis=1, keepdims=True)
    stddevs = tf.math.reduce_std(spec, axis=1, keepdims=True)
    return (spec - means) / (stddevs + 1e-10)


def encode_sample(audio, text):
    spectrogram = wav_to_spectrogram(audio)
    chars = tf.strings.unicode_split(tf.strings.lower(text), input_encoding="UTF-8")
    label = char_to_num(chars)
    return spectrogram, label


def make_dataset(cfg, seed=0):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(cfg.sample_rate // 2, cfg.max_audio_len, size=cfg.num_examples)
    audios = [rng.standard_normal(n).astype(np.float32) * 0.1 for n in lengths]
    texts = random_transcripts(cfg.num_examples, rng)

    ds = tf.data.Dataset.from_generator(
        lambda: zip(audios, texts),
        output_signature=(tf.TensorSpec([None], tf.float32), tf.TensorSpec([], tf.string)),
    )
    ds = ds.map(encode_sample, num_parallel_calls=tf.data.AUTOTUNE)
    # pad spectrograms with 0 and labels with 0 (oov) -> we recover lengths later
    ds = ds.padded_batch(cfg.batch_size, padded_shapes=([None, cfg.fft_length // 2 + 1], [None]))
    return ds.prefetch(tf.data.AUTOTUNE)


class CTCModel(keras.Model):
    """Wraps a logits model and trains it with tf.nn.ctc_loss."""

    def __init__(self, net, blank_index, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.blank_index = blank_index
        self.loss_tracker = keras.metrics.Mean(name="ctc_loss")

    def call(self, inputs, training=False):
        return self.net(inputs, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def _ctc(self, labels, logits, spec):
        # time axis was downsampled by the conv stack; recover per-example lengths
        frames_in = tf.reduce_sum(
            tf.cast(tf.reduce_any(tf.not_equal(spec, 0.0), axis=-1), tf.int32), axis=1)
        ratio = tf.shape(spec)[1] // tf.shape(logits)[1]
        logit_len = tf.minimum(frames_in // ratio + 1, tf.shape(logits)[1])
        label_len = tf.reduce_sum(tf.cast(labels != 0, tf.int32), axis=1)
        loss = tf.nn.ctc_loss(
            labels=labels,
            logits=logits,
            label_length=label_len,
            logit_length=logit_len,
            logits_time_major=False,
            blank_index=self.blank_index,
        )
        return tf.reduce_mean(loss)

    def train_step(self, data):
        spec, labels = data
        with tf.GradientTape() as tape:
            logits = self(spec, training=True)
            loss = self._ctc(labels, logits, spec)
        grads = tape.gradient(loss, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"ctc_loss": self.loss_tracker.result()}

    def test_step(self, data):
        spec, labels = data
        logits = self(spec, training=False)
        self.loss_tracker.update_state(self._ctc(labels, logits, spec))
        return {"ctc_loss": self.loss_tracker.result()}


def build_deepspeech(cfg, output_dim):
    n_freq = cfg.fft_length // 2 + 1
    spec_in = layers.Input((None, n_freq), name="spectrogram")
    x = layers.Reshape((-1, n_freq, 1))(spec_in)

    x = layers.Conv2D(cfg.conv_filters[0], (11, 41), strides=(2, 2), padding="same",
                      use_bias=False, name="conv_1")(x)
    x = layers.BatchNormalization(name="conv_1_bn")(x)
    x = layers.ReLU()(x)
    x = layers.Conv2D(cfg.conv_filters[1], (11, 21), strides=(1, 2), padding="same",
                      use_bias=False, name="conv_2")(x)
    x = layers.BatchNormalization(name="conv_2_bn")(x)
    x = layers.ReLU()(x)

    # collapse (freq, channels) into a single feature dim for the RNN
    freq_after = x.shape[-2]
    x = layers.Reshape((-1, freq_after * x.shape[-1]))(x)

    for i in range(1, cfg.rnn_layers + 1):
        x = layers.Bidirectional(
            layers.GRU(cfg.rnn_units, return_sequences=True, reset_after=True),
            merge_mode="concat", name=f"bigru_{i}")(x)
        if i < cfg.rnn_layers:
            x = layers.Dropout(0.3)(x)

    x = layers.Dense(cfg.rnn_units * 2, activation="relu", name="dense_1")(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(output_dim, name="logits")(x)
    return keras.Model(spec_in, logits, name="deepspeech2_small")


def greedy_decode(logits, blank_index):
    # tf.nn.ctc_greedy_decoder wants time-major log-probs
    seq_len = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    decoded, _ = tf.nn.ctc_greedy_decoder(
        tf.transpose(tf.nn.log_softmax(logits), [1, 0, 2]), seq_len, blank_index=blank_index)
    dense = tf.sparse.to_dense(decoded[0], default_value=0)
    texts = tf.strings.reduce_join(num_to_char(dense), axis=-1)
    return [t.decode("utf-8") for t in texts.numpy()]


def main():
    tf.random.set_seed(7)
    train_ds = make_dataset(CFG, seed=0)
    val_ds = make_dataset(ASRConfig(num_examples=8), seed=1)

    blank = VOCAB_SIZE  # extra class after the real vocabulary
    net = build_deepspeech(CFG, output_dim=VOCAB_SIZE + 1)
    net.summary(line_length=100)

    model = CTCModel(net, blank_index=blank)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4))
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    spec, labels = next(iter(val_ds))
    preds = greedy_decode(model(spec), blank)
    refs = tf.strings.reduce_join(num_to_char(labels), axis=-1).numpy()
    for p, r in list(zip(preds, refs))[:3]:
        print(f"ref: {r.decode():<28} hyp: {p!r}")


if __name__ == "__main__":
    main()
