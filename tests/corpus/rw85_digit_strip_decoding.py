"""Digit-strip reader: greedy vs. beam-search CTC decoding.

Renders multi-digit numbers with a tiny 5x3 bitmap font, trains a small
Sequential Conv1D/GRU reader with keras.losses.CTC (blank = 0), tracks a
character error rate metric during fit, then compares
tf.nn.ctc_greedy_decoder, tf.nn.ctc_beam_search_decoder and a plain numpy
best-path decoder on the same logits.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# 5x3 pixel font, rows top -> bottom
FONT = {
    "0": ["111", "101", "101", "101", "111"],
    "1": ["010", "110", "010", "010", "111"],
    "2": ["111", "001", "111", "100", "111"],
    "3": ["111", "001", "111", "001", "111"],
    "4": ["101", "101", "111", "001", "001"],
    "5": ["111", "100", "111", "001", "111"],
    "6": ["111", "100", "111", "101", "111"],
    "7": ["111", "001", "010", "010", "010"],
    "8": ["111", "101", "111", "101", "111"],
    "9": ["111", "101", "111", "001", "111"],
}
GLYPHS = {d: np.array([[int(p) for p in row] for row in rows], np.float32) for d, rows in FONT.items()}

SCALE = 3
HEIGHT = 5 * SCALE + 4          # 19 px
WIDTH = 96
MAX_DIGITS = 6
BLANK = 0                       # digits are encoded as 1..10
NUM_CLASSES = 11
BATCH = 32
N_TRAIN = 256


def render_number(digits, rng):
    canvas = np.zeros((HEIGHT, WIDTH), np.float32)
    x = rng.integers(0, 6)
    for d in digits:
        g = np.kron(GLYPHS[d], np.ones((SCALE, SCALE), np.float32))
        y = rng.integers(0, HEIGHT - g.shape[0] + 1)
        if x + g.shape[1] > WIDTH:
            break
        canvas[y:y + g.shape[0], x:x + g.shape[1]] = g
        x += g.shape[1] + rng.integers(2, 5)
    canvas += rng.normal(0, 0.15, canvas.shape).astype(np.float32)
    return canvas


def make_split(n, seed):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, WIDTH, HEIGHT), np.float32)  # (time=width, features=height)
    y = np.zeros((n, MAX_DIGITS), np.int32)       # zero padded == blank
    strings = []
    for i in range(n):
        k = rng.integers(2, MAX_DIGITS + 1)
        s = "".join(rng.choice(list("0123456789"), size=k))
        x[i] = render_number(s, rng).T
        y[i, :k] = [int(c) + 1 for c in s]
        strings.append(s)
    return x, y, strings


x_train, y_train, _ = make_split(N_TRAIN, seed=0)
x_test, y_test, s_test = make_split(BATCH, seed=1)
print("x_train", x_train.shape, "y_train", y_train.shape)


class CharacterErrorRate(keras.metrics.Metric):
    """Mean normalized edit distance between greedy decode and labels."""

    def __init__(self, name="cer", **kwargs):
        super().__init__(name=name, **kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(y_true, tf.int64)
        batch = tf.shape(y_pred)[0]
        seq_len = tf.fill([batch], tf.shape(y_pred)[1])
        decoded, _ = tf.nn.ctc_greedy_decoder(
            tf.transpose(y_pred, [1, 0, 2]), seq_len, blank_index=BLANK
        )
        truth = tf.sparse.from_dense(y_true)  # zeros (padding) are dropped
        dist = tf.edit_distance(tf.cast(decoded[0], tf.int64), truth, normalize=True)
        self.total.assign_add(tf.reduce_sum(dist))
        self.count.assign_add(tf.cast(batch, self.dtype))

    def result(self):
        return tf.math.divide_no_nan(self.total, self.count)

    def reset_state(self):
        self.total.assign(0.0)
        self.count.assign(0.0)


model = keras.Sequential(
    [
        keras.Input(shape=(WIDTH, HEIGHT)),
        layers.Conv1D(48, 5, padding="same", activation="relu"),
        layers.Conv1D(48, 3, padding="same", activation="relu"),
        layers.MaxPooling1D(2),                     # 96 -> 48 frames
        layers.Bidirectional(layers.GRU(48, return_sequences=True)),
        layers.Dense(NUM_CLASSES),                  # logits, blank at index 0
    ],
    name="digit_strip_reader",
)
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.CTC(),
    metrics=[CharacterErrorRate()],
)
model.summary()
model.fit(x_train, y_train, batch_size=BATCH, epochs=1, verbose=2)

logits = model.predict(x_test, verbose=0)       # (B, T, C)
T = logits.shape[1]
seq_len = np.full((logits.shape[0],), T, dtype=np.int32)
time_major = tf.transpose(logits, [1, 0, 2])

# 1) greedy / best path
greedy, greedy_scores = tf.nn.ctc_greedy_decoder(time_major, seq_len, blank_index=BLANK)

# 2) beam search -- the TF2 op always treats the LAST class as blank, so move
#    our blank column (0) to the end and shift labels down by one.
rolled = tf.concat([time_major[..., 1:], time_major[..., :1]], axis=-1)
beams, beam_logp = tf.nn.ctc_beam_search_decoder(
    tf.nn.log_softmax(rolled), seq_len, beam_width=8, top_paths=2
)
print("beam log-probs (first 3):\n", np.round(beam_logp.numpy()[:3], 3))


def sparse_to_strings(sp, offset):
    dense = tf.sparse.to_dense(sp, default_value=-1).numpy()
    return ["".join(str(v - offset) for v in row if v >= 0) for row in dense]


def numpy_best_path(batch_logits, blank=BLANK):
    """Reference best-path decoding: argmax, collapse repeats, drop blanks."""
    best = batch_logits.argmax(-1)
    out = []
    for row in best:
        keep = np.ones_like(row, dtype=bool)
        keep[1:] = row[1:] != row[:-1]
        row = row[keep]
        out.append("".join(str(v - 1) for v in row[row != blank]))
    return out


greedy_txt = sparse_to_strings(greedy[0], offset=1)
beam_txt = sparse_to_strings(beams[0], offset=0)   # after the roll digit d -> index d
numpy_txt = numpy_best_path(logits)
assert greedy_txt == numpy_txt, "tf greedy decoder and numpy best path disagree"

agree = np.mean([g == b for g, b in zip(greedy_txt, beam_txt)])
exact = np.mean([g == s for g, s in zip(greedy_txt, s_test)])
print(f"greedy==beam on {agree:.0%} of samples, exact-match acc {exact:.0%}")
for truth, g, b in list(zip(s_test, greedy_txt, beam_txt))[:4]:
    print(f"  truth={truth:<7} greedy={g:<7} beam={b}")
