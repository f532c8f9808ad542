"""BiGRU encoder / GRUCell decoder with input feeding, scheduled sampling and beam search.

Toy "transliteration" task: every source symbol maps to a target symbol
through a fixed random permutation, so the alignment is monotonic and the
attention maps should become diagonal quickly.

Things worth looking at:
  * bidirectional encoder; final fwd/bwd states are concatenated and passed
    through a Dense "bridge" to initialise the decoder
  * decoder is unrolled manually with a GRUCell so that the previous
    attentional vector can be fed back in (Luong input feeding)
  * attention scoring uses keras.layers.AdditiveAttention (Bahdanau score)
    on projected query/keys
  * scheduled sampling (Bengio et al. 2015): with prob eps the next decoder
    input is the model's own argmax instead of the gold token, chosen per
    row with tf.where inside the compiled train step
  * tiny numpy beam search on top of the single-step decoder
"""
import math
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

config = {
    "src_vocab": 24,
    "tgt_vocab": 24,
    "emb_dim": 32,
    "enc_units": 48,
    "dec_units": 64,
    "attn_units": 48,
    "max_len": 8,
    "batch_size": 32,
    "n_train": 640,
    "train_steps": 20,
    "lr": 2e-3,
    "ss_k": 10.0,       # inverse-sigmoid decay constant for scheduled sampling
    "beam_size": 3,
}
PAD, BOS, EOS = 0, 1, 2
N_SPECIAL = 3

tf.random.set_seed(11)
np.random.seed(11)

# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
PERM = np.random.permutation(np.arange(N_SPECIAL, config["tgt_vocab"]))


def build_pairs(n, max_len):
    src = np.zeros((n, max_len), np.int32)
    tgt = np.zeros((n, max_len + 2), np.int32)     # BOS ... EOS
    lengths = np.random.randint(3, max_len + 1, size=n)
    for i, L in enumerate(lengths):
        s = np.random.randint(N_SPECIAL, config["src_vocab"], size=L)
        src[i, :L] = s
        tgt[i, 0] = BOS
        tgt[i, 1:L + 1] = PERM[s - N_SPECIAL]
        tgt[i, L + 1] = EOS
    return src, tgt


src_np, tgt_np = build_pairs(config["n_train"], config["max_len"])
train_ds = (tf.data.Dataset.from_tensor_slices((src_np, tgt_np))
            .shuffle(config["n_train"])
            .repeat()
            .batch(config["batch_size"], drop_remainder=True)
            .map(lambda s, t: (s, t[:, :-1], t[:, 1:]))   # src, dec_in, dec_out
            .prefetch(2))


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
class Encoder(keras.layers.Layer):
    def __init__(self, vocab, emb_dim, units, dec_units, **kw):
        super().__init__(**kw)
        self.embed = keras.layers.Embedding(vocab, emb_dim, mask_zero=True)
        self.birnn = keras.layers.Bidirectional(
            keras.layers.GRU(units, return_sequences=True, return_state=True),
            merge_mode="concat")
        self.bridge = keras.layers.Dense(dec_units, activation="tanh", name="bridge")

    def call(self, src, training=False):
        x = self.embed(src)
        mask = self.embed.compute_mask(src)
        enc_out, fwd_h, bwd_h = self.birnn(x, mask=mask, training=training)
        init_state = self.bridge(tf.concat([fwd_h, bwd_h], axis=-1))
        return enc_out, init_state, mask


class InputFeedingDecoder(keras.layers.Layer):
    def __init__(self, vocab, emb_dim, units, attn_units, **kw):
        super().__init__(**kw)
        self.units = units
        self.embed = keras.layers.Embedding(vocab, emb_dim)
        self.cell = keras.layers.GRUCell(units)
        self.key_proj = keras.layers.Dense(attn_units, use_bias=False, name="W_k")
        self.query_proj = keras.layers.Dense(attn_units, use_bias=False, name="W_q")
        self.attention = keras.layers.AdditiveAttention(use_scale=True)
        self.attn_out = keras.layers.Dense(units, activation="tanh", name="W_c")
        self.logits = keras.layers.Dense(vocab, name="out")

    def precompute_keys(self, enc_out):
        return self.key_proj(enc_out)

    def step(self, y_prev, h_prev, feed_prev, enc_keys, enc_out, src_mask, training=False):
        """One decoder time step. y_prev: (B,), h_prev/feed_prev: (B, units)."""
        emb = self.embed(y_prev)                                   # (B, E)
        cell_in = tf.concat([emb, feed_prev], axis=-1)            # input feeding
        h, _ = self.cell(cell_in, [h_prev], training=training)
        query = self.query_proj(h)[:, tf.newaxis, :]              # (B, 1, A)
        context, scores = self.attention(
            [query, enc_out, enc_keys], mask=[None, src_mask],
            return_attention_scores=True)
        context = tf.squeeze(context, axis=1)                     # (B, 2*enc_units)
        attn_vec = self.attn_out(tf.concat([h, context], axis=-1))
        return self.logits(attn_vec), h, attn_vec, scores[:, 0, :]


class Seq2Seq(keras.Model):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg["src_vocab"], cfg["emb_dim"], cfg["enc_units"], cfg["dec_units"])
        self.decoder = InputFeedingDecoder(cfg["tgt_vocab"], cfg["emb_dim"],
                                           cfg["dec_units"], cfg["attn_units"])

    def call(self, src, dec_in, sampling_prob=0.0, training=False):
        enc_out, h, src_mask = self.encoder(src, training=training)
        enc_keys = self.decoder.precompute_keys(enc_out)
        batch = tf.shape(src)[0]
        feed = tf.zeros([batch, self.cfg["dec_units"]])
        y_prev = dec_in[:, 0]
        all_logits = []
        for t in range(dec_in.shape[1]):
            logits, h, feed, _ = self.decoder.step(y_prev, h, feed, enc_keys, enc_out,
                                                   src_mask, training=training)
            all_logits.append(logits)
            if t + 1 < dec_in.shape[1]:
                gold_next = dec_in[:, t + 1]
                model_next = tf.argmax(logits, axis=-1, output_type=tf.int32)
                coin = tf.random.uniform([batch]) < sampling_prob
                y_prev = tf.where(coin, model_next, gold_next)
        return tf.stack(all_logits, axis=1)                       # (B, T, V)


model = Seq2Seq(config)
optimizer = keras.optimizers.Adam(config["lr"])
xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")


def masked_xent(y_true, logits):
    mask = tf.cast(tf.not_equal(y_true, PAD), tf.float32)
    return tf.reduce_sum(xent(y_true, logits) * mask) / tf.reduce_sum(mask)


@tf.function(reduce_retracing=True)
def train_step(src, dec_in, dec_out, sampling_prob):
    with tf.GradientTape() as tape:
        logits = model(src, dec_in, sampling_prob=sampling_prob, training=True)
        loss = masked_xent(dec_out, logits)
    variables = model.trainable_variables
    grads = tape.gradient(loss, variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, variables))
    return loss, gnorm


def teacher_forcing_ratio(step, k):
    """Inverse sigmoid decay: starts near 1 and decays towards 0."""
    return k / (k + math.exp(step / k))


ckpt_dir = os.path.join(tempfile.mkdtemp(), "ckpt")
ckpt = tf.train.Checkpoint(model=model, optimizer=optimizer)
manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=2)

for step, (src, dec_in, dec_out) in enumerate(train_ds.take(config["train_steps"])):
    tf_ratio = teacher_forcing_ratio(step, config["ss_k"])
    eps = tf.constant(1.0 - tf_ratio, tf.float32)
    loss, gnorm = train_step(src, dec_in, dec_out, eps)
    if step % 5 == 0 or step == config["train_steps"] - 1:
        print(f"step {step:3d}  loss {loss.numpy():.4f}  |g| {gnorm.numpy():.2f}  "
              f"sampling eps {float(eps):.3f}")
    if (step + 1) % 10 == 0:
        manager.save()

print("checkpoints:", [os.path.basename(p) for p in manager.checkpoints])
print("trainable variables:", len(model.trainable_variables))


# ----------------------------------------------------------------------------
# beam search (single sentence, eager)
# ----------------------------------------------------------------------------
def log_softmax_np(x):
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def beam_search(src_row, beam_size=3, max_len=None, alpha=0.6):
    max_len = max_len or config["max_len"] + 1
    src = tf.constant(src_row[None, :])
    enc_out, h0, src_mask = model.encoder(src)
    enc_keys = model.decoder.precompute_keys(enc_out)

    # each hypothesis: (tokens, score, h, feed)
    beams = [([BOS], 0.0, h0, tf.zeros([1, config["dec_units"]]))]
    finished = []
    for _ in range(max_len):
        # batch all live beams together
        k = len(beams)
        y_prev = tf.constant([b[0][-1] for b in beams], tf.int32)
        h = tf.concat([b[2] for b in beams], axis=0)
        feed = tf.concat([b[3] for b in beams], axis=0)
        logits, h_new, feed_new, _ = model.decoder.step(
            y_prev, h, feed,
            tf.repeat(enc_keys, k, axis=0), tf.repeat(enc_out, k, axis=0),
            tf.repeat(src_mask, k, axis=0))
        logp = log_softmax_np(logits.numpy())                  # (k, V)
        cand = np.array([b[1] for b in beams])[:, None] + logp
        flat = np.argsort(cand.ravel())[::-1][:beam_size]
        new_beams = []
        for idx in flat:
            bi, tok = divmod(int(idx), logp.shape[1])
            hyp = (beams[bi][0] + [tok], float(cand[bi, tok]),
                   h_new[bi:bi + 1], feed_new[bi:bi + 1])
            if tok == EOS:
                finished.append(hyp)
            else:
                new_beams.append(hyp)
        beams = new_beams
        if not beams or len(finished) >= beam_size:
            break
    finished = finished or beams

    def length_penalty(n):
        return ((5.0 + n) / 6.0) ** alpha

    best = max(finished, key=lambda hyp: hyp[1] / length_penalty(len(hyp[0])))
    return [t for t in best[0][1:] if t != EOS], best[1]


for i in range(3):
    row = src_np[i]
    hyp, score = beam_search(row, beam_size=config["beam_size"])
    gold = [int(t) for t in tgt_np[i] if t not in (PAD, BOS, EOS)]
    print(f"gold={gold}\nbeam={hyp}  logp={score:.2f}")
