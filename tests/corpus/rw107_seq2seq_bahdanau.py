# Encoder-decoder "translation" with additive (Bahdanau) attention.
# Toy task: English number words -> made-up target language, output in reverse
# order, e.g.  "three one four"  ->  "<start> kat un trois <end>"
# Training uses teacher forcing in a custom tf.function train step;
# inference decodes one token at a time, feeding back the argmax.
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SRC_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TGT_WORDS = ["nul", "un", "deux", "trois", "kat", "sink", "sis", "set", "wit", "nef"]
EN2TGT = dict(zip(SRC_WORDS, TGT_WORDS))

MAX_SRC = 6
MAX_TGT = MAX_SRC + 2  # + start/end
UNITS = 64
EMB = 32
BATCH = 32
N_PAIRS = 640
EPOCHS = 2

rng = np.random.default_rng(2024)


def make_pairs(n):
    pairs = []
    for _ in range(n):
        length = rng.integers(2, MAX_SRC + 1)
        src = list(rng.choice(SRC_WORDS, size=length))
        tgt = [EN2TGT[w] for w in reversed(src)]
        pairs.append((" ".join(src), "<start> " + " ".join(tgt) + " <end>"))
    return pairs


pairs = make_pairs(N_PAIRS)
src_texts, tgt_texts = map(list, zip(*pairs))
print("example:", pairs[0])

# StringLookup tables; the input is split with tf.strings.split
src_lookup = layers.StringLookup(vocabulary=SRC_WORDS, mask_token="")
tgt_lookup = layers.StringLookup(vocabulary=["<start>", "<end>"] + TGT_WORDS, mask_token="")
tgt_inverse = layers.StringLookup(vocabulary=tgt_lookup.get_vocabulary(), mask_token="",
                                  invert=True)
SRC_V = src_lookup.vocabulary_size()
TGT_V = tgt_lookup.vocabulary_size()
START_ID = int(tgt_lookup(tf.constant("<start>")))
END_ID = int(tgt_lookup(tf.constant("<end>")))
print(f"src vocab={SRC_V} tgt vocab={TGT_V} start={START_ID} end={END_ID}")


def tokenize(src, tgt):
    s = src_lookup(tf.strings.split(src)).to_tensor(shape=[None, MAX_SRC])
    t = tgt_lookup(tf.strings.split(tgt)).to_tensor(shape=[None, MAX_TGT])
    # teacher forcing: decoder sees t[:-1], predicts t[1:]
    return (s, t[:, :-1]), t[:, 1:]


split = int(0.85 * N_PAIRS)
train_ds = (tf.data.Dataset.from_tensor_slices((src_texts[:split], tgt_texts[:split]))
            .shuffle(split).batch(BATCH).map(tokenize).prefetch(2))
val_ds = (tf.data.Dataset.from_tensor_slices((src_texts[split:], tgt_texts[split:]))
          .batch(BATCH).map(tokenize))


class Encoder(keras.layers.Layer):
    def __init__(self, vocab, emb, units, **kw):
        super().__init__(**kw)
        self.embed = layers.Embedding(vocab, emb, mask_zero=True)
        self.rnn = layers.Bidirectional(
            layers.GRU(units, return_sequences=True, return_state=True), merge_mode="sum")

    def call(self, src):
        x = self.embed(src)
        mask = self.embed.compute_mask(src)
        seq, fwd, bwd = self.rnn(x, mask=mask)
        return seq, fwd + bwd, mask


class BahdanauAttention(keras.layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.W_q = layers.Dense(units, use_bias=False)
        self.W_k = layers.Dense(units, use_bias=False)
        self.v = layers.Dense(1, use_bias=False)

    def call(self, query, keys, mask):
        # query: (B, Tq, H) keys: (B, Tk, H) mask: (B, Tk)
        q = tf.expand_dims(self.W_q(query), 2)          # (B, Tq, 1, U)
        k = tf.expand_dims(self.W_k(keys), 1)           # (B, 1, Tk, U)
        scores = tf.squeeze(self.v(tf.tanh(q + k)), -1)  # (B, Tq, Tk)
        neg = tf.fill(tf.shape(scores), -1e9)
        scores = tf.where(tf.expand_dims(mask, 1), scores, neg)
        weights = tf.nn.softmax(scores, axis=-1)
        context = tf.matmul(weights, keys)               # (B, Tq, H)
        return context, weights


class Decoder(keras.layers.Layer):
    def __init__(self, vocab, emb, units, **kw):
        super().__init__(**kw)
        self.embed = layers.Embedding(vocab, emb, mask_zero=True)
        self.rnn = layers.GRU(units, return_sequences=True, return_state=True)
        self.attn = BahdanauAttention(units)
        self.combine = layers.Dense(units, activation="tanh")
        self.out = layers.Dense(vocab)

    def call(self, tgt_in, enc_seq, enc_mask, state):
        x = self.embed(tgt_in)
        seq, state = self.rnn(x, initial_state=state)
        ctx, w = self.attn(seq, enc_seq, enc_mask)
        h = self.combine(tf.concat([seq, ctx], axis=-1))
        return self.out(h), state, w


class Translator(keras.Model):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder(SRC_V, EMB, UNITS)
        self.decoder = Decoder(TGT_V, EMB, UNITS)

    def call(self, inputs, training=False):
        src, tgt_in = inputs
        enc_seq, enc_state, mask = self.encoder(src)
        logits, _, _ = self.decoder(tgt_in, enc_seq, mask, enc_state)
        return logits


model = Translator()
optimizer = keras.optimizers.Adam(1e-2)
loss_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def masked_loss(y_true, logits):
    per_tok = loss_obj(y_true, logits)
    mask = tf.cast(y_true != 0, per_tok.dtype)
    return tf.reduce_sum(per_tok * mask) / tf.reduce_sum(mask)


def masked_acc(y_true, logits):
    pred = tf.argmax(logits, -1, output_type=y_true.dtype)
    mask = tf.cast(y_true != 0, tf.float32)
    hit = tf.cast(pred == y_true, tf.float32) * mask
    return tf.reduce_sum(hit) / tf.reduce_sum(mask)


@tf.function
def train_step(inputs, y):
    with tf.GradientTape() as tape:
        logits = model(inputs, training=True)
        loss = masked_loss(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, masked_acc(y, logits)


@tf.function
def eval_step(inputs, y):
    logits = model(inputs, training=False)
    return masked_loss(y, logits), masked_acc(y, logits)


for epoch in range(EPOCHS):
    t0 = time.time()
    losses, accs = [], []
    for inputs, y in train_ds:
        l, a = train_step(inputs, y)
        losses.append(float(l)); accs.append(float(a))
    v = [eval_step(i, y) for i, y in val_ds]
    v_loss = np.mean([float(a) for a, _ in v]); v_acc = np.mean([float(b) for _, b in v])
    print(f"epoch {epoch + 1}: loss={np.mean(losses):.3f} acc={np.mean(accs):.3f} "
          f"val_loss={v_loss:.3f} val_acc={v_acc:.3f} ({time.time() - t0:.1f}s)")


def translate(sentences, max_steps=MAX_TGT):
    src = src_lookup(tf.strings.split(tf.constant(sentences))).to_tensor(shape=[None, MAX_SRC])
    enc_seq, state, mask = model.encoder(src)
    batch = len(sentences)
    token = tf.fill([batch, 1], tf.constant(START_ID, tf.int64))
    done = np.zeros(batch, dtype=bool)
    outputs, attn_maps = [], []
    for _ in range(max_steps):  # python loop, eager mode
        logits, state, w = model.decoder(token, enc_seq, mask, state)
        token = tf.argmax(logits, axis=-1)  # (B, 1)
        tok_np = token.numpy()[:, 0]
        tok_np = np.where(done, 0, tok_np)
        outputs.append(tok_np)
        attn_maps.append(w.numpy()[:, 0])
        done |= tok_np == END_ID
        if done.all():
            break
    ids = np.stack(outputs, axis=1)
    words = tgt_inverse(ids).numpy()
    results = []
    for row, id_row in zip(words, ids):
        toks = [w.decode() for w, i in zip(row, id_row) if i not in (0, END_ID)]
        results.append(" ".join(toks))
    return results, np.stack(attn_maps, axis=1)


tests = ["one two three", "nine eight", "five five zero four", "seven"]
preds, attn = translate(tests)
for s, p in zip(tests, preds):
    ref = " ".join(EN2TGT[w] for w in reversed(s.split()))
    print(f"{s:<24} -> {p:<28} (ref: {ref})")
print("attention map shape (batch, out_steps, src_len):", attn.shape)
print("attention rows sum to 1:", np.allclose(attn.sum(-1), 1.0, atol=1e-4))
