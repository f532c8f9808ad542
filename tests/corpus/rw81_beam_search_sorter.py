"""Encoder-decoder Transformer (TF tutorial style) + greedy and beam-search decoding.

Toy task: "translate" a sequence of integers into its sorted version. Tokens 0-3
are reserved ([PAD], [UNK], [BOS], [EOS]). Training uses a masked loss that ignores
padding; decoding compares a graph-compiled greedy decoder to a numpy beam search
with a GNMT length penalty.
"""
import numpy as np
import tensorflow as tf

PAD, UNK, BOS, EOS = 0, 1, 2, 3
N_SPECIAL = 4
N_SYMBOLS = 20
VOCAB = N_SPECIAL + N_SYMBOLS
MAX_SRC = 10
MAX_TGT = MAX_SRC + 2  # BOS ... EOS

D_MODEL = 32
NUM_HEADS = 4
DFF = 64
NUM_LAYERS = 2
DROPOUT = 0.1
BATCH = 32
TRAIN_STEPS = 40
BEAM_SIZE = 4
LENGTH_ALPHA = 0.6

rng = np.random.default_rng(7)
tf.random.set_seed(7)


# ------------------------------------------------------------------ data
def random_example():
    n = rng.integers(3, MAX_SRC + 1)
    src = rng.integers(N_SPECIAL, VOCAB, size=n)
    tgt = np.concatenate([[BOS], np.sort(src), [EOS]])
    return src, tgt


def pad_to(x, length):
    out = np.full((length,), PAD, dtype=np.int32)
    out[: len(x)] = x
    return out


def make_arrays(n):
    srcs, tgts = [], []
    for _ in range(n):
        s, t = random_example()
        srcs.append(pad_to(s, MAX_SRC))
        tgts.append(pad_to(t, MAX_TGT))
    return np.stack(srcs), np.stack(tgts)


def prepare_batch(src, tgt):
    # teacher forcing: decoder sees tgt[:-1], predicts tgt[1:]
    return (src, tgt[:, :-1]), tgt[:, 1:]


src_np, tgt_np = make_arrays(4000)
train_ds = (
    tf.data.Dataset.from_tensor_slices((src_np, tgt_np))
    .shuffle(4000)
    .batch(BATCH, drop_remainder=True)
    .map(prepare_batch, num_parallel_calls=tf.data.AUTOTUNE)
    .repeat()
    .prefetch(tf.data.AUTOTUNE)
)


# ------------------------------------------------------------------ model
def positional_encoding(length, depth):
    depth = depth / 2
    positions = np.arange(length)[:, np.newaxis]          # (seq, 1)
    depths = np.arange(depth)[np.newaxis, :] / depth      # (1, depth)
    angle_rates = 1 / (10000 ** depths)
    angle_rads = positions * angle_rates                  # (seq, depth)
    pos_encoding = np.concatenate([np.sin(angle_rads), np.cos(angle_rads)], axis=-1)
    return tf.cast(pos_encoding, dtype=tf.float32)


class PositionalEmbedding(tf.keras.layers.Layer):
    def __init__(self, vocab_size, d_model, max_length=64):
        super().__init__()
        self.d_model = d_model
        self.embedding = tf.keras.layers.Embedding(vocab_size, d_model, mask_zero=True)
        self.pos_encoding = positional_encoding(length=max_length, depth=d_model)

    def compute_mask(self, *args, **kwargs):
        return self.embedding.compute_mask(*args, **kwargs)

    def call(self, x):
        length = tf.shape(x)[1]
        x = self.embedding(x)
        x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
        return x + self.pos_encoding[tf.newaxis, :length, :]


class BaseAttention(tf.keras.layers.Layer):
    def __init__(self, **kwargs):
        super().__init__()
        self.mha = tf.keras.layers.MultiHeadAttention(**kwargs)
        self.layernorm = tf.keras.layers.LayerNormalization()
        self.add = tf.keras.layers.Add()


class CrossAttention(BaseAttention):
    def call(self, x, context):
        attn_output, attn_scores = self.mha(
            query=x, key=context, value=context, return_attention_scores=True
        )
        self.last_attn_scores = attn_scores
        return self.layernorm(self.add([x, attn_output]))


class GlobalSelfAttention(BaseAttention):
    def call(self, x):
        return self.layernorm(self.add([x, self.mha(query=x, value=x, key=x)]))


class CausalSelfAttention(BaseAttention):
    def call(self, x):
        attn_output = self.mha(query=x, value=x, key=x, use_causal_mask=True)
        return self.layernorm(self.add([x, attn_output]))


class FeedForward(tf.keras.layers.Layer):
    def __init__(self, d_model, dff, dropout_rate=0.1):
        super().__init__()
        self.seq = tf.keras.Sequential([
            tf.keras.layers.Dense(dff, activation="relu"),
            tf.keras.layers.Dense(d_model),
            tf.keras.layers.Dropout(dropout_rate),
        ])
        self.add = tf.keras.layers.Add()
        self.layer_norm = tf.keras.layers.LayerNormalization()

    def call(self, x):
        return self.layer_norm(self.add([x, self.seq(x)]))


class EncoderLayer(tf.keras.layers.Layer):
    def __init__(self, *, d_model, num_heads, dff, dropout_rate=0.1):
        super().__init__()
        self.self_attention = GlobalSelfAttention(
            num_heads=num_heads, key_dim=d_model, dropout=dropout_rate)
        self.ffn = FeedForward(d_model, dff)

    def call(self, x):
        return self.ffn(self.self_attention(x))


class Encoder(tf.keras.layers.Layer):
    def __init__(self, *, num_layers, d_model, num_heads, dff, vocab_size, dropout_rate=0.1):
        super().__init__()
        self.pos_embedding = PositionalEmbedding(vocab_size=vocab_size, d_model=d_model)
        self.enc_layers = [
            EncoderLayer(d_model=d_model, num_heads=num_heads, dff=dff, dropout_rate=dropout_rate)
            for _ in range(num_layers)
        ]
        self.dropout = tf.keras.layers.Dropout(dropout_rate)

    def call(self, x):
        x = self.dropout(self.pos_embedding(x))
        for layer in self.enc_layers:
            x = layer(x)
        return x


class DecoderLayer(tf.keras.layers.Layer):
    def __init__(self, *, d_model, num_heads, dff, dropout_rate=0.1):
        super().__init__()
        self.causal_self_attention = CausalSelfAttention(
            num_heads=num_heads, key_dim=d_model, dropout=dropout_rate)
        self.cross_attention = CrossAttention(
            num_heads=num_heads, key_dim=d_model, dropout=dropout_rate)
        self.ffn = FeedForward(d_model, dff)

    def call(self, x, context):
        x = self.causal_self_attention(x=x)
        x = self.cross_attention(x=x, context=context)
        self.last_attn_scores = self.cross_attention.last_attn_scores
        return self.ffn(x)


class Decoder(tf.keras.layers.Layer):
    def __init__(self, *, num_layers, d_model, num_heads, dff, vocab_size, dropout_rate=0.1):
        super().__init__()
        self.pos_embedding = PositionalEmbedding(vocab_size=vocab_size, d_model=d_model)
        self.dropout = tf.keras.layers.Dropout(dropout_rate)
        self.dec_layers = [
            DecoderLayer(d_model=d_model, num_heads=num_heads, dff=dff, dropout_rate=dropout_rate)
            for _ in range(num_layers)
        ]

    def call(self, x, context):
        x = self.dropout(self.pos_embedding(x))
        for layer in self.dec_layers:
            x = layer(x, context)
        self.last_attn_scores = self.dec_layers[-1].last_attn_scores
        return x


class Transformer(tf.keras.Model):
    def __init__(self, *, num_layers, d_model, num_heads, dff, vocab_size, dropout_rate=0.1):
        super().__init__()
        self.encoder = Encoder(num_layers=num_layers, d_model=d_model, num_heads=num_heads,
                               dff=dff, vocab_size=vocab_size, dropout_rate=dropout_rate)
        self.decoder = Decoder(num_layers=num_layers, d_model=d_model, num_heads=num_heads,
                               dff=dff, vocab_size=vocab_size, dropout_rate=dropout_rate)
        self.final_layer = tf.keras.layers.Dense(vocab_size)

    def call(self, inputs):
        context, x = inputs
        context = self.encoder(context)
        x = self.decoder(x, context)
        return self.final_layer(x)


def masked_loss(label, pred):
    mask = label != PAD
    loss_object = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")
    loss = loss_object(label, pred)
    mask = tf.cast(mask, dtype=loss.dtype)
    loss *= mask
    return tf.reduce_sum(loss) / tf.reduce_sum(mask)


def masked_accuracy(label, pred):
    pred = tf.argmax(pred, axis=2)
    label = tf.cast(label, pred.dtype)
    match = label == pred
    mask = label != PAD
    match = tf.cast(match & mask, dtype=tf.float32)
    return tf.reduce_sum(match) / tf.reduce_sum(tf.cast(mask, tf.float32))


class CustomSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
    """Noam schedule from 'Attention Is All You Need'."""

    def __init__(self, d_model, warmup_steps=4000):
        super().__init__()
        self.d_model = tf.cast(d_model, tf.float32)
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = tf.cast(step, dtype=tf.float32) + 1.0
        arg1 = tf.math.rsqrt(step)
        arg2 = step * (self.warmup_steps ** -1.5)
        return tf.math.rsqrt(self.d_model) * tf.math.minimum(arg1, arg2)


transformer = Transformer(num_layers=NUM_LAYERS, d_model=D_MODEL, num_heads=NUM_HEADS,
                          dff=DFF, vocab_size=VOCAB, dropout_rate=DROPOUT)
(src_b, tgt_in_b), tgt_out_b = next(iter(train_ds))
logits = transformer((src_b, tgt_in_b))
print("src", src_b.shape, "tgt_in", tgt_in_b.shape, "-> logits", logits.shape)
print("cross-attn scores:", transformer.decoder.last_attn_scores.shape)  # (B, heads, T_tgt, T_src)

learning_rate = CustomSchedule(D_MODEL, warmup_steps=40)
optimizer = tf.keras.optimizers.Adam(learning_rate, beta_1=0.9, beta_2=0.98, epsilon=1e-9)
transformer.compile(loss=masked_loss, optimizer=optimizer, metrics=[masked_accuracy])
transformer.summary()
transformer.fit(train_ds, epochs=2, steps_per_epoch=TRAIN_STEPS // 2, verbose=2)


# ------------------------------------------------------------------ decoding
@tf.function(reduce_retracing=True)
def greedy_decode(src, max_len=MAX_TGT):
    """Fixed-length greedy decode; finished rows keep emitting PAD."""
    batch = tf.shape(src)[0]
    context = transformer.encoder(src, training=False)
    output = tf.fill([batch, 1], tf.constant(BOS, tf.int32))
    finished = tf.zeros([batch], dtype=tf.bool)
    for _ in range(max_len - 1):  # python int -> unrolled in the graph
        x = transformer.decoder(output, context, training=False)
        logits = transformer.final_layer(x)[:, -1, :]
        next_tok = tf.argmax(logits, axis=-1, output_type=tf.int32)
        next_tok = tf.where(finished, tf.fill([batch], PAD), next_tok)
        finished = finished | tf.equal(next_tok, EOS)
        output = tf.concat([output, next_tok[:, None]], axis=1)
    return output


def length_penalty(length, alpha=LENGTH_ALPHA):
    # Wu et al. (2016), GNMT
    return ((5.0 + length) / 6.0) ** alpha


def beam_search(src_row, beam_size=BEAM_SIZE, max_len=MAX_TGT):
    src = tf.constant(src_row[None, :], dtype=tf.int32)
    context = transformer.encoder(src, training=False)
    beams = [([BOS], 0.0)]
    completed = []
    for _ in range(max_len - 1):
        seqs = np.array([b[0] for b in beams], dtype=np.int32)
        ctx = tf.repeat(context, repeats=len(beams), axis=0)
        x = transformer.decoder(tf.constant(seqs), ctx, training=False)
        log_probs = tf.nn.log_softmax(transformer.final_layer(x)[:, -1, :]).numpy()

        candidates = []
        for (seq, score), lp in zip(beams, log_probs):
            top = np.argsort(lp)[-beam_size:][::-1]
            for tok in top:
                candidates.append((seq + [int(tok)], score + float(lp[tok])))
        candidates.sort(key=lambda c: c[1], reverse=True)

        beams = []
        for seq, score in candidates:
            if seq[-1] == EOS:
                completed.append((seq, score / length_penalty(len(seq) - 1)))
            else:
                beams.append((seq, score))
            if len(beams) == beam_size:
                break
        if len(completed) >= beam_size or not beams:
            break

    if not completed:
        completed = [(s, sc / length_penalty(len(s) - 1)) for s, sc in beams]
    return sorted(completed, key=lambda c: c[1], reverse=True)


def strip_special(seq):
    out = []
    for t in seq:
        if t == EOS:
            break
        if t >= N_SPECIAL:
            out.append(int(t) - N_SPECIAL)
    return out


test_src, test_tgt = make_arrays(4)
greedy_out = greedy_decode(tf.constant(test_src)).numpy()
print("greedy output shape:", greedy_out.shape)
for i in range(len(test_src)):
    hyps = beam_search(test_src[i])
    print("src    :", strip_special(test_src[i]))
    print("target :", strip_special(test_tgt[i][1:]))
    print("greedy :", strip_special(greedy_out[i][1:]))
    print(f"beam   : {strip_special(hyps[0][0][1:])}  (score {hyps[0][1]:.3f}, {len(hyps)} hyps)")
