"""Character-level language model + beam search decoding.

* CharTokenizer: hand-written char vocabulary with <pad>/<bos>/<eos>
* LayerNormGRUCell: GRU cell with layer normalisation, written with keras.ops and
  wrapped in keras.layers.RNN
* a separate single-step "decoder" model that shares weights with the training
  model and threads the recurrent state explicitly, used by a numpy beam search.
"""
import math
import random

import numpy as np
import keras
from keras import layers, ops

random.seed(1)
np.random.seed(1)
keras.utils.set_random_seed(1)

EMB = 24
UNITS = 64
SEQ_LEN = 24
BATCH = 32
BEAM_WIDTH = 4
MAX_DECODE = 20

# A small synthetic "corpus" of names: syllables glued together.
SYLLABLES = ["ka", "ri", "to", "mi", "na", "lo", "ve", "sha", "ren", "dor", "el", "ia"]


def synth_names(n):
    names = []
    for _ in range(n):
        k = random.randint(2, 4)
        names.append("".join(random.choice(SYLLABLES) for _ in range(k)))
    return names


class CharTokenizer:
    def __init__(self, texts):
        chars = sorted(set("".join(texts)))
        self.specials = ["<pad>", "<bos>", "<eos>"]
        self.id2tok = self.specials + chars
        self.tok2id = {t: i for i, t in enumerate(self.id2tok)}
        self.pad_id, self.bos_id, self.eos_id = 0, 1, 2

    @property
    def vocab_size(self):
        return len(self.id2tok)

    def encode(self, text, bos=True, eos=True):
        ids = [self.tok2id[c] for c in text]
        return ([self.bos_id] if bos else []) + ids + ([self.eos_id] if eos else [])

    def decode(self, ids):
        return "".join(self.id2tok[i] for i in ids if i > 2)


class LayerNormGRUCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        d = input_shape[-1]
        self.w_x = self.add_weight(shape=(d, 3 * self.units), initializer="glorot_uniform", name="w_x")
        self.w_h = self.add_weight(shape=(self.units, 3 * self.units), initializer="orthogonal", name="w_h")
        self.ln_x = layers.LayerNormalization(name="ln_x")
        self.ln_h = layers.LayerNormalization(name="ln_h")
        self.ln_x.build((None, 3 * self.units))
        self.ln_h.build((None, 3 * self.units))

    def call(self, inputs, states):
        h = states[0] if isinstance(states, (list, tuple)) else states
        gx = self.ln_x(ops.matmul(inputs, self.w_x))
        gh = self.ln_h(ops.matmul(h, self.w_h))
        xz, xr, xn = ops.split(gx, 3, axis=-1)
        hz, hr, hn = ops.split(gh, 3, axis=-1)
        z = ops.sigmoid(xz + hz)
        r = ops.sigmoid(xr + hr)
        n = ops.tanh(xn + r * hn)
        h_new = (1.0 - z) * n + z * h
        return h_new, [h_new]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def build_models(vocab_size):
    """Return (train_model, step_model) sharing the same layers."""
    embed = layers.Embedding(vocab_size, EMB, name="char_emb")
    rnn = layers.RNN(LayerNormGRUCell(UNITS), return_sequences=True, return_state=True, name="lngru")
    head = layers.Dense(vocab_size, name="logits")

    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    state_in = keras.Input(shape=(UNITS,), name="state_in")

    seq, _ = rnn(embed(tokens))
    train_model = keras.Model(tokens, head(seq), name="char_lm")

    # step model: (tokens[B, 1], h[B, U]) -> (logits[B, V], h'[B, U])
    step_seq, step_state = rnn(embed(tokens), initial_state=[state_in])
    step_logits = layers.Reshape((vocab_size,))(head(step_seq))
    step_model = keras.Model([tokens, state_in], [step_logits, step_state], name="char_lm_step")
    return train_model, step_model


def make_xy(tok, names):
    seqs = [tok.encode(n) for n in names]
    padded = keras.utils.pad_sequences(seqs, maxlen=SEQ_LEN + 1, padding="post",
                                       truncating="post", value=tok.pad_id)
    x, y = padded[:, :-1], padded[:, 1:]
    weights = (y != tok.pad_id).astype("float32")  # ignore padding in the loss
    return x, y, weights


def log_softmax(logits):
    m = logits.max(axis=-1, keepdims=True)
    return logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))


def beam_search(step_model, tok, beam_width=BEAM_WIDTH, max_len=MAX_DECODE, alpha=0.7, prefix=""):
    """Standard beam search with GNMT-style length penalty. Beams are batched so
    each time step is a single forward pass of the step model."""
    state = np.zeros((1, UNITS), dtype="float32")
    # warm the state up on the prefix (BOS + prefix chars, all but the last one)
    prompt = tok.encode(prefix, bos=True, eos=False)
    for t in prompt[:-1]:
        _, state = step_model.predict_on_batch([np.array([[t]]), state])

    beams = [(prompt, 0.0, np.asarray(state)[0])]  # (tokens, logprob, state)
    finished = []
    for _ in range(max_len):
        last_tokens = np.array([[b[0][-1]] for b in beams], dtype="int32")
        states = np.stack([b[2] for b in beams]).astype("float32")
        logits, new_states = step_model.predict_on_batch([last_tokens, states])
        logp = log_softmax(np.asarray(logits))
        new_states = np.asarray(new_states)

        candidates = []
        for i, (toks, score, _) in enumerate(beams):
            top = np.argsort(logp[i])[::-1][:beam_width]
            for t in top:
                candidates.append((toks + [int(t)], score + float(logp[i, t]), new_states[i]))
        candidates.sort(key=lambda c: c[1], reverse=True)

        beams = []
        for cand in candidates:
            if cand[0][-1] == tok.eos_id:
                finished.append(cand)
            else:
                beams.append(cand)
            if len(beams) == beam_width:
                break
        if len(finished) >= beam_width or not beams:
            break

    finished = finished or beams

    def length_penalty(n):
        return ((5 + n) / 6) ** alpha

    finished.sort(key=lambda c: c[1] / length_penalty(len(c[0])), reverse=True)
    return [(tok.decode(c[0]), c[1] / length_penalty(len(c[0]))) for c in finished[:beam_width]]


def main():
    names = synth_names(800)
    tok = CharTokenizer(names)
    print("vocab:", tok.vocab_size, "".join(tok.id2tok[3:]))
    x, y, w = make_xy(tok, names)
    print("x", x.shape, "y", y.shape, "non-pad targets", int(w.sum()))

    train_model, step_model = build_models(tok.vocab_size)
    train_model.compile(
        optimizer=keras.optimizers.Adam(5e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=["sparse_categorical_accuracy"],
    )
    train_model.summary()
    hist = train_model.fit(x, y, sample_weight=w, batch_size=BATCH, epochs=1, verbose=2)
    print("perplexity ~", math.exp(hist.history["loss"][-1]))

    for prefix in ["", "ka", "sha"]:
        hyps = beam_search(step_model, tok, prefix=prefix)
        shown = ", ".join(f"{h!r}:{s:.2f}" for h, s in hyps)
        print(f"prefix={prefix!r:6} -> {shown}")


if __name__ == "__main__":
    main()
