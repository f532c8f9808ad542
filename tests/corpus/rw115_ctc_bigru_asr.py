"""Tiny "speech recognition" with CTC.

Each utterance is a sequence of synthetic "phones" (every symbol of the alphabet
is a tone at its own frequency, with a little vibrato).  Features are log-mel
spectrograms computed in the tf.data pipeline; the acoustic model is
Conv1D -> 2x BiGRU -> Dense(vocab + blank), trained with CTC through a custom
train_step.  Decoding is greedy (argmax, collapse repeats, drop blanks).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SR = 8000
MAX_SECONDS = 0.8
MAX_SAMPLES = int(SR * MAX_SECONDS)
FRAME_LEN, FRAME_STEP, N_FFT = 200, 100, 256
N_MELS = 40

ALPHABET = list("abcdef")
PHONE_FREQS = {c: 300.0 + 350.0 * i for i, c in enumerate(ALPHABET)}
BLANK = 0  # index 0 is reserved for the CTC blank
char_to_id = {c: i + 1 for i, c in enumerate(ALPHABET)}
id_to_char = {i: c for c, i in char_to_id.items()}
VOCAB_SIZE = len(ALPHABET) + 1
MAX_LABEL_LEN = 5

N_UTTERANCES = 240
BATCH = 32
EPOCHS = 2

np_rng = np.random.default_rng(42)
keras.utils.set_random_seed(42)


def synth_utterance(text):
    pieces = []
    for ch in text:
        dur = int(SR * np_rng.uniform(0.08, 0.12))
        t = np.arange(dur) / SR
        f = PHONE_FREQS[ch] * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))
        env = np.hanning(dur)
        pieces.append(env * np.sin(2 * np.pi * f * t))
        pieces.append(np.zeros(int(SR * np_rng.uniform(0.01, 0.03))))
    wav = np.concatenate(pieces)[:MAX_SAMPLES]
    lead = np_rng.integers(0, MAX_SAMPLES - len(wav) + 1)
    out = np.zeros(MAX_SAMPLES)
    out[lead:lead + len(wav)] = wav
    out += np_rng.normal(0, 0.02, MAX_SAMPLES)
    return out.astype(np.float32)


def random_text():
    n = np_rng.integers(2, MAX_LABEL_LEN + 1)
    return "".join(np_rng.choice(ALPHABET, size=n))


def encode(text):
    ids = [char_to_id[c] for c in text]
    return np.array(ids + [BLANK] * (MAX_LABEL_LEN - len(ids)), dtype=np.int32), len(ids)


texts = [random_text() for _ in range(N_UTTERANCES)]
waves = np.stack([synth_utterance(t) for t in texts])
labels, label_lens = zip(*(encode(t) for t in texts))
labels = np.stack(labels)
label_lens = np.array(label_lens, dtype=np.int32)
print(f"waves {waves.shape}, labels {labels.shape}, e.g. {texts[0]!r} -> {labels[0]}")

mel_w = tf.signal.linear_to_mel_weight_matrix(N_MELS, N_FFT // 2 + 1, SR, 80.0, SR / 2)


@tf.function
def log_mel(wav):
    spec = tf.abs(tf.signal.stft(wav, FRAME_LEN, FRAME_STEP, N_FFT, pad_end=True))
    mel = tf.matmul(tf.square(spec), mel_w)
    return tf.math.log1p(mel * 100.0)


def to_features(wav, label, label_len):
    feats = log_mel(wav)
    return {"features": feats, "labels": label, "label_len": label_len}


def make_dataset(idx, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((waves[idx], labels[idx], label_lens[idx]))
    if shuffle:
        ds = ds.shuffle(len(idx))
    return ds.map(to_features, num_parallel_calls=tf.data.AUTOTUNE).batch(BATCH).prefetch(2)


perm = np_rng.permutation(N_UTTERANCES)
train_idx, val_idx = perm[:192], perm[192:]
train_ds = make_dataset(train_idx, shuffle=True)
val_ds = make_dataset(val_idx, shuffle=False)
N_FRAMES = train_ds.element_spec["features"].shape[1]
print("frames per utterance:", N_FRAMES)


class CTCAcousticModel(keras.Model):
    def __init__(self, vocab_size, rnn_units=48, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.LayerNormalization()
        self.conv = layers.Conv1D(64, 5, padding="same", activation="gelu")
        self.rnns = [
            layers.Bidirectional(layers.GRU(rnn_units, return_sequences=True), name=f"bigru_{i}")
            for i in range(2)
        ]
        self.drop = layers.Dropout(0.1)
        self.classifier = layers.Dense(vocab_size, name="ctc_logits")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, features, training=False):
        x = self.conv(self.norm(features))
        for rnn in self.rnns:
            x = self.drop(rnn(x), training=training)
        return self.classifier(x)

    def _ctc(self, batch, logits):
        batch_size = ops.shape(logits)[0]
        logit_len = ops.full((batch_size,), ops.shape(logits)[1], dtype="int32")
        per_example = ops.ctc_loss(
            batch["labels"], logits, batch["label_len"], logit_len, mask_index=BLANK
        )
        return ops.mean(per_example)

    def train_step(self, batch):
        with tf.GradientTape() as tape:
            logits = self(batch["features"], training=True)
            loss = self._ctc(batch, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, batch):
        logits = self(batch["features"], training=False)
        self.loss_tracker.update_state(self._ctc(batch, logits))
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def greedy_decode(logits):
    """Best-path decoding in numpy: argmax per frame, merge repeats, remove blanks."""
    best = np.argmax(logits, axis=-1)
    out = []
    for path in best:
        collapsed = [p for j, p in enumerate(path) if j == 0 or p != path[j - 1]]
        out.append("".join(id_to_char[p] for p in collapsed if p != BLANK))
    return out


def edit_distance(a, b):
    d = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, d[0] = d[0], i
        for j, cb in enumerate(b, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (ca != cb))
    return d[-1]


model = CTCAcousticModel(VOCAB_SIZE)
_ = model(tf.zeros((1, N_FRAMES, N_MELS)))  # build the sublayers
model.compile(optimizer=keras.optimizers.Adam(2e-3))
model.summary()
model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

# evaluate character error rate with greedy decoding
hyps, refs = [], []
for batch in val_ds:
    logits = model(batch["features"], training=False)
    hyps += greedy_decode(ops.convert_to_numpy(logits))
    refs += ["".join(id_to_char[i] for i in row[:n])
             for row, n in zip(batch["labels"].numpy(), batch["label_len"].numpy())]

cer = sum(edit_distance(h, r) for h, r in zip(hyps, refs)) / sum(len(r) for r in refs)
print(f"val CER (greedy): {cer:.3f}")
for h, r in list(zip(hyps, refs))[:5]:
    print(f"  ref={r:<6s} hyp={h}")

# cross-check with the built-in greedy decoder on one batch
first = next(iter(val_ds))
lg = model(first["features"])
seq_len = ops.full((ops.shape(lg)[0],), ops.shape(lg)[1], dtype="int32")
decoded, _ = ops.ctc_decode(lg, seq_len, strategy="greedy", mask_index=BLANK)
builtin = ["".join(id_to_char[i] for i in row if i > 0) for row in ops.convert_to_numpy(decoded[0])]
mine = greedy_decode(ops.convert_to_numpy(lg))
print("builtin decoder agrees with numpy decoder:", builtin == mine)
