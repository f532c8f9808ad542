"""SASRec: self-attentive sequential recommendation (Kang & McAuley, 2018).

Item sequences are left-padded with 0 to MAX_LEN. Each position predicts the
next item; training uses one sampled negative per position and a BCE loss,
padding positions are masked out via sample_weight. Item embeddings are
shared between the input layer and the output scoring (weight tying).
Evaluation: NDCG@10 / HR@10 of the held-out last item against 100 negatives.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class Config:
    num_items = 800          # item ids 1..num_items, 0 = padding
    num_users = 256
    max_len = 20
    hidden = 32
    num_blocks = 2
    num_heads = 2
    dropout = 0.2
    batch_size = 64
    epochs = 1
    lr = 1e-3
    num_eval_negatives = 100


# ---------------------------------------------------------------- data
def simulate_sequences(cfg, seed=3):
    """Markov-ish sessions: next item is usually close to the previous one."""
    rng = np.random.default_rng(seed)
    seqs = []
    for _ in range(cfg.num_users):
        length = rng.integers(8, cfg.max_len + 6)
        item = rng.integers(1, cfg.num_items + 1)
        seq = [item]
        for _ in range(length - 1):
            if rng.random() < 0.7:
                item = (item + rng.integers(1, 6) - 1) % cfg.num_items + 1
            else:
                item = rng.integers(1, cfg.num_items + 1)
            seq.append(int(item))
        seqs.append(seq)
    return seqs


def left_pad(seq, max_len):
    seq = seq[-max_len:]
    return [0] * (max_len - len(seq)) + seq


def build_training_arrays(seqs, cfg, rng):
    inputs, positives, negatives = [], [], []
    for seq in seqs:
        train_seq = seq[:-1]  # last item held out for evaluation
        inp = left_pad(train_seq[:-1], cfg.max_len)
        pos = left_pad(train_seq[1:], cfg.max_len)
        seen = set(seq)
        neg = []
        for p in pos:
            if p == 0:
                neg.append(0)
                continue
            n = rng.integers(1, cfg.num_items + 1)
            while n in seen:
                n = rng.integers(1, cfg.num_items + 1)
            neg.append(int(n))
        inputs.append(inp); positives.append(pos); negatives.append(neg)
    return (np.array(inputs, "int32"), np.array(positives, "int32"), np.array(negatives, "int32"))


# ---------------------------------------------------------------- model
class PointWiseFeedForward(layers.Layer):
    def __init__(self, hidden, dropout, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv1D(hidden, kernel_size=1, activation="relu")
        self.conv2 = layers.Conv1D(hidden, kernel_size=1)
        self.drop1 = layers.Dropout(dropout)
        self.drop2 = layers.Dropout(dropout)

    def call(self, x, training=False):
        y = self.drop1(self.conv1(x), training=training)
        y = self.drop2(self.conv2(y), training=training)
        return x + y  # residual


class SASRecBlock(layers.Layer):
    def __init__(self, hidden, heads, dropout, **kwargs):
        super().__init__(**kwargs)
        self.ln_attn = layers.LayerNormalization(epsilon=1e-8)
        self.mha = layers.MultiHeadAttention(num_heads=heads, key_dim=hidden // heads, dropout=dropout)
        self.ln_ffn = layers.LayerNormalization(epsilon=1e-8)
        self.ffn = PointWiseFeedForward(hidden, dropout)

    def call(self, x, timeline_mask, training=False):
        q = self.ln_attn(x)
        # query is normalised, keys/values are the raw residual stream (as in the paper code)
        attn = self.mha(query=q, value=x, key=x, use_causal_mask=True, training=training)
        x = q + attn
        x = self.ffn(self.ln_ffn(x), training=training)
        return x * timeline_mask


class SASRec(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.item_emb = layers.Embedding(cfg.num_items + 1, cfg.hidden, name="item_embedding")
        self.pos_emb = layers.Embedding(cfg.max_len, cfg.hidden, name="positional_embedding")
        self.emb_dropout = layers.Dropout(cfg.dropout)
        self.blocks = [SASRecBlock(cfg.hidden, cfg.num_heads, cfg.dropout, name=f"block_{i}")
                       for i in range(cfg.num_blocks)]
        self.final_ln = layers.LayerNormalization(epsilon=1e-8)

    def encode(self, seq, training=False):
        # seq: (B, L) item ids, 0 = pad
        timeline_mask = ops.expand_dims(ops.cast(ops.not_equal(seq, 0), "float32"), -1)  # (B, L, 1)
        x = self.item_emb(seq) * math.sqrt(self.cfg.hidden)
        positions = ops.arange(ops.shape(seq)[1])
        x = x + self.pos_emb(positions)[None, :, :]
        x = self.emb_dropout(x, training=training) * timeline_mask
        for block in self.blocks:
            x = block(x, timeline_mask, training=training)
        return self.final_ln(x)  # (B, L, H)

    def call(self, inputs, training=False):
        seq, pos, neg = inputs["seq"], inputs["pos"], inputs["neg"]
        h = self.encode(seq, training=training)
        pos_logits = ops.sum(h * self.item_emb(pos), axis=-1)  # (B, L)
        neg_logits = ops.sum(h * self.item_emb(neg), axis=-1)
        return ops.stack([pos_logits, neg_logits], axis=-1)    # (B, L, 2)

    def score_candidates(self, seq, candidates):
        """seq (B, L), candidates (B, C) -> scores (B, C) using the last position."""
        h_last = self.encode(seq, training=False)[:, -1, :]       # (B, H)
        cand_emb = self.item_emb(candidates)                       # (B, C, H)
        return ops.einsum("bh,bch->bc", h_last, cand_emb)


# ---------------------------------------------------------------- eval
def evaluate(model, seqs, cfg, rng, k=10):
    eval_seq, cands = [], []
    for seq in seqs:
        history = left_pad(seq[:-1], cfg.max_len)
        target = seq[-1]
        seen = set(seq)
        negs = []
        while len(negs) < cfg.num_eval_negatives:
            n = int(rng.integers(1, cfg.num_items + 1))
            if n not in seen:
                negs.append(n)
        eval_seq.append(history)
        cands.append([target] + negs)
    scores = model.score_candidates(np.array(eval_seq, "int32"), np.array(cands, "int32"))
    scores = ops.convert_to_numpy(scores)
    # rank of target (column 0) among candidates
    ranks = (scores > scores[:, :1]).sum(axis=1)
    hit = ranks < k
    ndcg = np.where(hit, 1.0 / np.log2(ranks + 2.0), 0.0)
    return float(hit.mean()), float(ndcg.mean())


if __name__ == "__main__":
    cfg = Config()
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    seqs = simulate_sequences(cfg)
    seq_in, pos, neg = build_training_arrays(seqs, cfg, rng)
    print("train tensors:", seq_in.shape, pos.shape, neg.shape)

    labels = np.broadcast_to(np.array([1.0, 0.0], "float32"), pos.shape + (2,)).copy()
    weights = (pos != 0).astype("float32")  # ignore padded positions

    model = SASRec(cfg, name="sasrec")
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.lr, beta_2=0.98),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        jit_compile=False,  # XLA compile time dominates on tiny CPU runs
    )
    model.fit(
        {"seq": seq_in, "pos": pos, "neg": neg}, labels,
        sample_weight=weights,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=2,
    )
    model.summary()

    hr, ndcg = evaluate(model, seqs, cfg, rng)
    print(f"HR@10 {hr:.3f}  NDCG@10 {ndcg:.3f}")
