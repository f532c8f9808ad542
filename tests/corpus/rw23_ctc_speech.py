"""DeepSpeech2-style acoustic model trained with CTC.

Conv2D front-end over (time, freq) spectrograms -> reshape to per-frame
feature vectors -> stacked BiLSTMs -> per-frame character logits. Training
uses a custom train_step/test_step that computes tf.nn.ctc_loss with the
real (variable) utterance and transcript lengths. Greedy decoding is done
with keras.ops.ctc_decode. Everything is synthetic.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

VOCAB = list("abcdefghijklmnopqrstuvwxyz' ")
CHAR_TO_ID = {c: i + 1 for i, c in enumerate(VOCAB)}  # 0 is reserved for blank
NUM_TOKENS = len(VOCAB) + 1
MAX_FRAMES = 96
N_FREQ = 64
MAX_LABEL_LEN = 14
TIME_STRIDE = 2


def random_transcripts(n, rng):
    words = ["yes", "no", "stop", "go", "left", "right", "up", "down", "on", "off"]
    out = []
    for _ in range(n):
        k = rng.integers(1, 4)
        text = " ".join(rng.choice(words, size=k))
        out.append(text[:MAX_LABEL_LEN])
    return out


def encode(texts):
    labels = np.zeros((len(texts), MAX_LABEL_LEN), dtype=np.int32)
    lengths = np.zeros((len(texts),), dtype=np.int32)
    for i, t in enumerate(texts):
        ids = [CHAR_TO_ID[c] for c in t]
        labels[i, : len(ids)] = ids
        lengths[i] = len(ids)
    return labels, lengths


def decode_ids(ids):
    inv = {v: k for k, v in CHAR_TO_ID.items()}
    return "".join(inv.get(int(i), "") for i in ids if i > 0)


def make_batch(n, seed):
    rng = np.random.default_rng(seed)
    texts = random_transcripts(n, rng)
    labels, label_len = encode(texts)
    frame_len = np.clip(label_len * 6 + rng.integers(0, 12, size=n), 40, MAX_FRAMES)
    specs = rng.normal(size=(n, MAX_FRAMES, N_FREQ, 1)).astype(np.float32)
    for i, fl in enumerate(frame_len):
        specs[i, fl:] = 0.0  # zero padding beyond the utterance
    return specs, labels, label_len, frame_len.astype(np.int32)


def build_acoustic_model(rnn_units=64, rnn_layers=2):
    spec = keras.Input(shape=(MAX_FRAMES, N_FREQ, 1), name="spectrogram")
    x = layers.Conv2D(16, (11, 41), strides=(TIME_STRIDE, 2), padding="same",
                      use_bias=False, name="conv1")(spec)
    x = layers.BatchNormalization(name="conv1_bn")(x)
    x = layers.ReLU(max_value=20.0, name="conv1_relu")(x)
    x = layers.Conv2D(16, (11, 21), strides=(1, 2), padding="same",
                      use_bias=False, name="conv2")(x)
    x = layers.BatchNormalization(name="conv2_bn")(x)
    x = layers.ReLU(max_value=20.0, name="conv2_relu")(x)
    t, f, c = x.shape[1], x.shape[2], x.shape[3]
    x = layers.Reshape((t, f * c), name="time_major_feats")(x)
    for i in range(rnn_layers):
        x = layers.Bidirectional(layers.LSTM(rnn_units, return_sequences=True),
                                 merge_mode="concat", name=f"bilstm{i}")(x)
        x = layers.LayerNormalization(name=f"ln{i}")(x)
    x = layers.Dense(rnn_units, activation="relu", name="fc")(x)
    x = layers.Dropout(0.1)(x)
    logits = layers.Dense(NUM_TOKENS, name="logits")(x)
    return keras.Model(spec, logits, name="ds2_ctc")


class CTCTrainer(keras.Model):
    def __init__(self, acoustic, **kwargs):
        super().__init__(**kwargs)
        self.acoustic = acoustic
        self.loss_tracker = keras.metrics.Mean(name="ctc_loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, inputs, training=False):
        return self.acoustic(inputs, training=training)

    def _ctc(self, data, training):
        (specs, frame_len), (labels, label_len) = data
        logits = self.acoustic(specs, training=training)
        logit_len = tf.cast(tf.math.ceil(frame_len / TIME_STRIDE), tf.int32)
        per_example = tf.nn.ctc_loss(
            labels=labels,
            logits=logits,
            label_length=label_len,
            logit_length=logit_len,
            logits_time_major=False,
            blank_index=0,
        )
        return tf.reduce_mean(per_example)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self._ctc(data, training=True)
        grads = tape.gradient(loss, self.acoustic.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.acoustic.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        self.loss_tracker.update_state(self._ctc(data, training=False))
        return {m.name: m.result() for m in self.metrics}


def to_dataset(specs, labels, label_len, frame_len, batch_size=8):
    ds = tf.data.Dataset.from_tensor_slices(((specs, frame_len), (labels, label_len)))
    return ds.batch(batch_size)


def greedy_decode(logits, frame_len):
    seq_len = np.ceil(frame_len / TIME_STRIDE).astype(np.int32)
    decoded, _ = keras.ops.ctc_decode(logits, seq_len, strategy="greedy", mask_index=0)
    return [decode_ids(row) for row in keras.ops.convert_to_numpy(decoded[0])]


def main():
    keras.utils.set_random_seed(3)
    acoustic = build_acoustic_model()
    trainer = CTCTrainer(acoustic)
    trainer.compile(optimizer=keras.optimizers.AdamW(learning_rate=5e-4, weight_decay=1e-4))

    train = make_batch(48, seed=0)
    val = make_batch(16, seed=1)
    trainer.fit(to_dataset(*train), validation_data=to_dataset(*val), epochs=1, verbose=2)

    specs, labels, label_len, frame_len = val
    logits = acoustic.predict(specs[:4], verbose=0)
    hyps = greedy_decode(logits, frame_len[:4])
    for i, hyp in enumerate(hyps):
        ref = decode_ids(labels[i, : label_len[i]])
        print(f"ref={ref!r:20s} hyp={hyp!r}")


if __name__ == "__main__":
    main()
