"""Hand-written beam search over a tiny word-level LM.

Data: synthetic "recipes" of the form  <bos> take N ITEM and MIX with ITEM <eos>
Model: Embedding -> 2 stacked LSTMs -> Dense (logits).
Decoding: greedy vs. beam search (with length normalisation) in plain numpy.
"""
import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras

BOS, EOS, PAD = "<bos>", "<eos>", "<pad>"
MAXLEN = 14
BEAM_WIDTH = 4
LENGTH_ALPHA = 0.7
N_SAMPLES = 350

np.random.seed(0)
tf.random.set_seed(0)

numbers = ["one", "two", "three", "four"]
items = ["egg", "cup", "flour", "sugar", "butter", "milk", "salt"]
actions = ["stir", "whisk", "fold", "beat"]


def random_recipe():
    n = np.random.choice(numbers)
    a, b = np.random.choice(items, size=2, replace=False)
    act = np.random.choice(actions)
    toks = [BOS, "take", n, a, "and", act, "with", b]
    if np.random.rand() < 0.4:
        toks += ["then", "serve"]
    return toks + [EOS]


corpus = [random_recipe() for _ in range(N_SAMPLES)]

# build vocab by hand this time (no TextVectorization)
itos = [PAD] + sorted({t for sent in corpus for t in sent})
stoi = {t: i for i, t in enumerate(itos)}
V = len(itos)


def encode(tokens, maxlen=MAXLEN):
    ids = [stoi[t] for t in tokens][:maxlen]
    return ids + [0] * (maxlen - len(ids))


data = np.array([encode(s) for s in corpus], dtype="int32")
x_train, y_train = data[:, :-1], data[:, 1:]
print("train arrays:", x_train.shape, y_train.shape, "vocab:", V)

model = keras.Sequential(
    [keras.Input(shape=(None,), dtype="int32"),
     keras.layers.Embedding(V, 32, mask_zero=True)]
    + [keras.layers.LSTM(64, return_sequences=True, name=f"lstm_{i}") for i in range(2)]
    + [keras.layers.Dense(V)]
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=5e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
)
model.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)


def log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def next_token_logprobs(prefixes):
    """prefixes: list of id lists (all the same length) -> (B, V) log-probs."""
    arr = np.array(prefixes, dtype="int32")
    logits = model.predict_on_batch(arr)[:, -1, :]
    lp = log_softmax(logits.astype("float64"))
    lp[:, stoi[PAD]] = -np.inf
    return lp


@dataclass(order=True)
class Hypothesis:
    score: float
    tokens: list = field(compare=False)
    logp: float = field(compare=False, default=0.0)
    done: bool = field(compare=False, default=False)


def length_penalty(n, alpha=LENGTH_ALPHA):
    return ((5 + n) / 6) ** alpha


def beam_search(prefix_tokens, beam_width=BEAM_WIDTH, max_len=MAXLEN):
    start = [stoi[t] for t in prefix_tokens]
    beams = [Hypothesis(0.0, start, 0.0)]
    finished = []
    eos = stoi[EOS]
    while beams and len(beams[0].tokens) < max_len:
        lp = next_token_logprobs([h.tokens for h in beams])
        candidates = []
        for h, row in zip(beams, lp):
            top = np.argsort(row)[::-1][:beam_width]
            for tok in top:
                new_logp = h.logp + row[tok]
                toks = h.tokens + [int(tok)]
                score = new_logp / length_penalty(len(toks) - len(start))
                candidates.append(Hypothesis(score, toks, new_logp, tok == eos))
        best = heapq.nlargest(beam_width, candidates)
        finished.extend(h for h in best if h.done)
        beams = [h for h in best if not h.done]
        if len(finished) >= beam_width:
            break
    finished.extend(beams)  # unfinished ones count too if we ran out of length
    return sorted(finished, reverse=True)[:beam_width]


def greedy(prefix_tokens, max_len=MAXLEN):
    toks = [stoi[t] for t in prefix_tokens]
    total = 0.0
    while len(toks) < max_len:
        row = next_token_logprobs([toks])[0]
        nxt = int(row.argmax())
        total += row[nxt]
        toks.append(nxt)
        if nxt == stoi[EOS]:
            break
    return toks, total


def show(ids):
    return " ".join(itos[i] for i in ids)


for prompt in ([BOS, "take"], [BOS, "take", "two", "sugar"], [BOS]):
    g_ids, g_lp = greedy(prompt)
    print(f"\nprompt: {' '.join(prompt)}")
    print(f"  greedy  (logp={g_lp:7.3f}): {show(g_ids)}")
    for rank, hyp in enumerate(beam_search(prompt), 1):
        print(f"  beam #{rank} (logp={hyp.logp:7.3f}, score={hyp.score:7.3f}): {show(hyp.tokens)}")

best = beam_search([BOS, "take"])[0]
assert math.isfinite(best.logp)
