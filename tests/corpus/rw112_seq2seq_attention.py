"""
Seq2seq "translator" English -> toy Spanish-like language.

Encoder: Embedding + bidirectional GRU.
Decoder: GRU + additive (Bahdanau-style) attention over encoder outputs,
trained with teacher forcing; inference uses a greedy decoding loop.
The toy language swaps adjective/noun order, so attention actually matters.
"""
import random
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

random.seed(0)
np.random.seed(0)
keras.utils.set_random_seed(0)

N_PAIRS = 600
SRC_LEN = 8
TGT_LEN = 10
EMB = 32
UNITS = 64
BATCH = 32
EPOCHS = 2

LEXICON = {
    # determiners
    "the": "el", "a": "un", "my": "mi", "your": "tu",
    # adjectives
    "red": "rojo", "big": "grande", "small": "chico", "old": "viejo", "fast": "rapido",
    # nouns
    "car": "auto", "dog": "perro", "house": "casa", "book": "libro", "cat": "gato",
    # verbs
    "runs": "corre", "sleeps": "duerme", "falls": "cae", "waits": "espera",
    # adverbs
    "today": "hoy", "here": "aqui", "again": "otra_vez", "now": "ahora",
}
DETS = ["the", "a", "my", "your"]
ADJS = ["red", "big", "small", "old", "fast"]
NOUNS = ["car", "dog", "house", "book", "cat"]
VERBS = ["runs", "sleeps", "falls", "waits"]
ADVS = ["today", "here", "again", "now"]

PAD, START, END = "<pad>", "<start>", "<end>"


def random_pair():
    det, adj, noun = random.choice(DETS), random.choice(ADJS), random.choice(NOUNS)
    verb, adv = random.choice(VERBS), random.choice(ADVS)
    use_adj = random.random() < 0.7
    en = [det] + ([adj] if use_adj else []) + [noun, verb] + ([adv] if random.random() < 0.6 else [])
    es = [LEXICON[w] for w in en]
    if use_adj:  # noun goes before adjective in the target language
        es[1], es[2] = es[2], es[1]
    return " ".join(en), " ".join(es)


class Vocab:
    def __init__(self, sentences, specials=(PAD, START, END)):
        tokens = sorted({t for s in sentences for t in s.split()})
        self.itos = list(specials) + tokens
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    def __len__(self):
        return len(self.itos)

    def encode(self, sentence, length, add_markers=False):
        ids = [self.stoi[t] for t in sentence.split()]
        if add_markers:
            ids = [self.stoi[START]] + ids + [self.stoi[END]]
        ids = ids[:length]
        return ids + [0] * (length - len(ids))

    def decode(self, ids):
        out = []
        for i in ids:
            tok = self.itos[int(i)]
            if tok == END:
                break
            if tok not in (PAD, START):
                out.append(tok)
        return " ".join(out)


class Encoder(layers.Layer):
    def __init__(self, vocab_size, **kw):
        super().__init__(**kw)
        self.emb = layers.Embedding(vocab_size, EMB, mask_zero=True)
        self.rnn = layers.Bidirectional(
            layers.GRU(UNITS // 2, return_sequences=True, return_state=True), merge_mode="concat"
        )

    def call(self, src, training=False):
        x = self.emb(src)
        seq, fwd_state, bwd_state = self.rnn(x, training=training)
        return seq, ops.concatenate([fwd_state, bwd_state], axis=-1)


class AttentionDecoder(layers.Layer):
    def __init__(self, vocab_size, **kw):
        super().__init__(**kw)
        self.emb = layers.Embedding(vocab_size, EMB, mask_zero=True)
        self.rnn = layers.GRU(UNITS, return_sequences=True, return_state=True)
        self.attention = layers.AdditiveAttention(name="bahdanau")
        self.combine = layers.Dense(UNITS, activation="tanh")
        self.logits = layers.Dense(vocab_size)

    def call(self, tgt_in, enc_seq, src_mask, state, training=False):
        x = self.emb(tgt_in)
        dec_seq, new_state = self.rnn(x, initial_state=state, training=training)
        context, scores = self.attention(
            [dec_seq, enc_seq], mask=[None, src_mask], return_attention_scores=True
        )
        h = self.combine(ops.concatenate([dec_seq, context], axis=-1))
        return self.logits(h), new_state, scores


class Translator(keras.Model):
    def __init__(self, src_vocab_size, tgt_vocab_size, **kw):
        super().__init__(**kw)
        self.encoder = Encoder(src_vocab_size)
        self.decoder = AttentionDecoder(tgt_vocab_size)

    def call(self, inputs, training=False):
        src, tgt_in = inputs
        enc_seq, enc_state = self.encoder(src, training=training)
        src_mask = ops.not_equal(src, 0)
        logits, _, _ = self.decoder(tgt_in, enc_seq, src_mask, enc_state, training=training)
        return logits

    def greedy_translate(self, src_ids, start_id, end_id, max_len=TGT_LEN):
        src_ids = ops.convert_to_tensor(src_ids)
        enc_seq, state = self.encoder(src_ids, training=False)
        src_mask = ops.not_equal(src_ids, 0)
        batch = src_ids.shape[0]
        token = np.full((batch, 1), start_id, dtype="int32")
        done = np.zeros(batch, dtype=bool)
        outputs, attn_maps = [], []
        for _ in range(max_len):
            logits, state, scores = self.decoder(token, enc_seq, src_mask, state, training=False)
            next_ids = ops.convert_to_numpy(ops.argmax(logits[:, -1, :], axis=-1)).astype("int32")
            next_ids[done] = 0  # keep padding finished sequences
            outputs.append(next_ids)
            attn_maps.append(ops.convert_to_numpy(scores[:, 0, :]))
            done |= next_ids == end_id
            if done.all():
                break
            token = next_ids[:, None]
        return np.stack(outputs, axis=1), np.stack(attn_maps, axis=1)


def main():
    pairs = [random_pair() for _ in range(N_PAIRS)]
    src_vocab = Vocab([p[0] for p in pairs])
    tgt_vocab = Vocab([p[1] for p in pairs])
    print(f"src vocab {len(src_vocab)}, tgt vocab {len(tgt_vocab)}")
    print("example pair:", pairs[0])

    src = np.array([src_vocab.encode(e, SRC_LEN) for e, _ in pairs], dtype="int32")
    tgt = np.array([tgt_vocab.encode(s, TGT_LEN + 1, add_markers=True) for _, s in pairs], dtype="int32")
    dec_in, dec_out = tgt[:, :-1], tgt[:, 1:]  # teacher forcing shift

    n_val = 60
    train = tf.data.Dataset.from_tensor_slices(((src[n_val:], dec_in[n_val:]), dec_out[n_val:]))
    train = train.shuffle(1000).batch(BATCH, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices(((src[:n_val], dec_in[:n_val]), dec_out[:n_val])).batch(BATCH)

    model = Translator(len(src_vocab), len(tgt_vocab))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=5e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="tok_acc")],
    )
    model.fit(train, validation_data=val, epochs=EPOCHS, verbose=2)

    start_id, end_id = tgt_vocab.stoi[START], tgt_vocab.stoi[END]
    pred_ids, attn = model.greedy_translate(src[:5], start_id, end_id)
    for i in range(5):
        en = src_vocab.decode(src[i])
        ref = tgt_vocab.decode(dec_out[i])
        hyp = tgt_vocab.decode(pred_ids[i])
        print(f"EN : {en}\nREF: {ref}\nHYP: {hyp}\n")
    print("attention map shape (batch, out_steps, src_len):", attn.shape)
    exact = np.mean([tgt_vocab.decode(p) == tgt_vocab.decode(r) for p, r in zip(pred_ids, dec_out[:5])])
    print(f"exact-match on 5 samples: {exact:.2f}")


if __name__ == "__main__":
    main()
