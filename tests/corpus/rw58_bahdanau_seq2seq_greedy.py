"""Seq2seq with hand-written Bahdanau (additive) attention + greedy decoding.

Classic NMT-tutorial structure (Encoder / BahdanauAttention / Decoder subclasses,
custom GradientTape loop with teacher forcing), trained on a toy "reverse the
digit string" task so it runs anywhere in a few seconds.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = {
    "num_examples": 448,
    "min_len": 3,
    "max_len": 7,
    "embedding_dim": 32,
    "units": 64,
    "batch_size": 64,
    "epochs": 1,
    "learning_rate": 2e-3,
}

# ---------------------------------------------------------------------------
# data + vocab
# ---------------------------------------------------------------------------
SPECIALS = ["<pad>", "<start>", "<end>"]
DIGITS = list("0123456789")
itos = SPECIALS + DIGITS
stoi = {t: i for i, t in enumerate(itos)}
PAD_ID, START_ID, END_ID = stoi["<pad>"], stoi["<start>"], stoi["<end>"]


def make_pairs(n, min_len, max_len, rng):
    src, tgt = [], []
    for _ in range(n):
        length = rng.integers(min_len, max_len + 1)
        s = "".join(rng.choice(DIGITS, size=length))
        src.append(s)
        tgt.append(s[::-1])
    return src, tgt


def encode(s, add_markers=False):
    ids = [stoi[c] for c in s]
    if add_markers:
        ids = [START_ID] + ids + [END_ID]
    return ids


def decode(ids):
    out = []
    for i in ids:
        if i == END_ID:
            break
        if i in (PAD_ID, START_ID):
            continue
        out.append(itos[i])
    return "".join(out)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
class Encoder(keras.Model):
    def __init__(self, vocab_size, embedding_dim, enc_units):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = keras.layers.GRU(enc_units, return_sequences=True, return_state=True,
                                    recurrent_initializer="glorot_uniform")

    def call(self, x, mask=None):
        x = self.embedding(x)
        output, state = self.gru(x, mask=mask)
        return output, state


class BahdanauAttention(keras.layers.Layer):
    """score(s, h_j) = v^T tanh(W1 h_j + W2 s)"""

    def __init__(self, units):
        super().__init__()
        self.W1 = keras.layers.Dense(units)
        self.W2 = keras.layers.Dense(units)
        self.V = keras.layers.Dense(1)

    def call(self, query, values, mask=None):
        # query: (batch, hidden) -> (batch, 1, hidden) so it broadcasts over time
        query_with_time_axis = tf.expand_dims(query, 1)
        score = self.V(tf.nn.tanh(self.W1(values) + self.W2(query_with_time_axis)))  # (batch, Tx, 1)
        if mask is not None:
            # push padded encoder positions to -inf before the softmax
            score += (1.0 - tf.cast(mask[:, :, tf.newaxis], score.dtype)) * -1e9
        attention_weights = tf.nn.softmax(score, axis=1)
        context_vector = tf.reduce_sum(attention_weights * values, axis=1)  # (batch, hidden)
        return context_vector, attention_weights


class Decoder(keras.Model):
    def __init__(self, vocab_size, embedding_dim, dec_units):
        super().__init__()
        self.embedding = keras.layers.Embedding(vocab_size, embedding_dim)
        self.gru = keras.layers.GRU(dec_units, return_sequences=True, return_state=True,
                                    recurrent_initializer="glorot_uniform")
        self.fc = keras.layers.Dense(vocab_size)
        self.attention = BahdanauAttention(dec_units)

    def call(self, x, hidden, enc_output, enc_mask=None):
        # x: (batch, 1) previous token
        context_vector, attention_weights = self.attention(hidden, enc_output, mask=enc_mask)
        x = self.embedding(x)  # (batch, 1, emb)
        x = tf.concat([tf.expand_dims(context_vector, 1), x], axis=-1)
        output, state = self.gru(x, initial_state=hidden)
        output = tf.reshape(output, (-1, output.shape[2]))
        logits = self.fc(output)
        return logits, state, attention_weights


def masked_loss(real, pred):
    loss_obj = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    mask = tf.math.logical_not(tf.math.equal(real, PAD_ID))
    loss_ = loss_obj(real, pred)
    mask = tf.cast(mask, dtype=loss_.dtype)
    return tf.reduce_sum(loss_ * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def main(cfg):
    rng = np.random.default_rng(0)
    src_txt, tgt_txt = make_pairs(cfg["num_examples"], cfg["min_len"], cfg["max_len"], rng)

    src = keras.utils.pad_sequences([encode(s) for s in src_txt], padding="post", value=PAD_ID)
    tgt = keras.utils.pad_sequences([encode(t, add_markers=True) for t in tgt_txt],
                                    padding="post", value=PAD_ID)
    max_src, max_tgt = src.shape[1], tgt.shape[1]
    print(f"src {src.shape}  tgt {tgt.shape}")

    dataset = (tf.data.Dataset.from_tensor_slices((src, tgt))
               .shuffle(len(src), seed=0)
               .batch(cfg["batch_size"], drop_remainder=True))
    steps_per_epoch = len(src) // cfg["batch_size"]

    vocab_size = len(itos)
    encoder = Encoder(vocab_size, cfg["embedding_dim"], cfg["units"])
    decoder = Decoder(vocab_size, cfg["embedding_dim"], cfg["units"])
    optimizer = keras.optimizers.Adam(cfg["learning_rate"])

    @tf.function
    def train_step(inp, targ):
        loss = 0.0
        enc_mask = tf.not_equal(inp, PAD_ID)
        with tf.GradientTape() as tape:
            enc_output, enc_hidden = encoder(inp, mask=enc_mask)
            dec_hidden = enc_hidden
            dec_input = tf.expand_dims(targ[:, 0], 1)  # <start>
            # teacher forcing: feed the ground truth as the next input
            for t in range(1, max_tgt):
                predictions, dec_hidden, _ = decoder(dec_input, dec_hidden, enc_output, enc_mask)
                loss += masked_loss(targ[:, t], predictions)
                dec_input = tf.expand_dims(targ[:, t], 1)
        batch_loss = loss / float(max_tgt - 1)
        variables = encoder.trainable_variables + decoder.trainable_variables
        gradients = tape.gradient(loss, variables)
        gradients, _ = tf.clip_by_global_norm(gradients, 5.0)
        optimizer.apply_gradients(zip(gradients, variables))
        return batch_loss

    for epoch in range(cfg["epochs"]):
        start = time.time()
        total_loss = 0.0
        for batch, (inp, targ) in enumerate(dataset.take(steps_per_epoch)):
            batch_loss = train_step(inp, targ)
            total_loss += float(batch_loss)
            if batch % 4 == 0:
                print(f"epoch {epoch + 1} batch {batch} loss {float(batch_loss):.4f}")
        print(f"epoch {epoch + 1} loss {total_loss / steps_per_epoch:.4f} "
              f"({time.time() - start:.1f}s)")

    # -----------------------------------------------------------------------
    # greedy decoding, one sentence at a time (eager)
    # -----------------------------------------------------------------------
    def greedy_translate(sentence):
        ids = keras.utils.pad_sequences([encode(sentence)], maxlen=max_src,
                                        padding="post", value=PAD_ID)
        inp = tf.convert_to_tensor(ids)
        enc_mask = tf.not_equal(inp, PAD_ID)
        enc_out, hidden = encoder(inp, mask=enc_mask)
        dec_input = tf.constant([[START_ID]])
        result, attn_rows = [], []
        for _ in range(max_tgt):
            logits, hidden, attn = decoder(dec_input, hidden, enc_out, enc_mask)
            predicted_id = int(tf.argmax(logits[0]).numpy())
            attn_rows.append(tf.reshape(attn, (-1,)).numpy())
            if predicted_id == END_ID:
                break
            result.append(predicted_id)
            dec_input = tf.constant([[predicted_id]])
        return decode(result), np.stack(attn_rows)

    for s in ["12345", "9081", "7777312"]:
        pred, attn = greedy_translate(s)
        print(f"{s:>10} -> {pred:<10} (expected {s[::-1]}), attention map {attn.shape}")


if __name__ == "__main__":
    main(CONFIG)
