"""
Stacked Attention Network (SAN) for VQA with VQA-style soft answer targets.

 * the image is a 4x4 grid of coloured cells (rendered to 32x32 pixels)
 * questions: "what color is the cell at row R col C" / "how many COLOR cells"
 * each question gets 10 noisy "annotator" answers -> soft score per answer
   score(a) = min(#annotators that said a / 3, 1), trained with sigmoid BCE
 * custom training loop, train step compiled with tf.function
"""
from collections import Counter

import numpy as np
import tensorflow as tf
import keras
from keras import layers

GRID = 4
CELL = 8
PALETTE = {"red": [0.9, 0.1, 0.1], "green": [0.1, 0.8, 0.2], "blue": [0.1, 0.3, 0.9], "gray": [0.5, 0.5, 0.5]}
NAMES = list(PALETTE)
N_QA = 480
N_ANNOTATORS = 10
ANNOTATOR_NOISE = 0.2
MAX_Q = 9
HIDDEN = 64
HOPS = 2
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(2024)
tf.random.set_seed(2024)


def render_grid(cells):
    img = np.zeros((GRID * CELL, GRID * CELL, 3), np.float32)
    for r in range(GRID):
        for c in range(GRID):
            img[r * CELL:(r + 1) * CELL, c * CELL:(c + 1) * CELL] = PALETTE[NAMES[cells[r, c]]]
            img[r * CELL, :, :] = 0.0  # grid lines
            img[:, c * CELL, :] = 0.0
    return img + rng.normal(0, 0.04, img.shape).astype(np.float32)


def generate_qa(cells):
    if rng.random() < 0.5:
        r, c = rng.integers(0, GRID, 2)
        return f"what color is the cell at row {r} col {c}", NAMES[cells[r, c]]
    color = rng.choice(NAMES)
    return f"how many {color} cells", str(int((cells == NAMES.index(color)).sum()))


# --- build dataset ---------------------------------------------------------
grids = rng.integers(0, len(NAMES), size=(N_QA, GRID, GRID))
images = np.stack([render_grid(g) for g in grids])
qa = [generate_qa(g) for g in grids]
questions = [q for q, _ in qa]
true_answers = [a for _, a in qa]

answer_counts = Counter(true_answers)
answer_list = [a for a, _ in answer_counts.most_common()]  # keep all, most common first
A2I = {a: i for i, a in enumerate(answer_list)}
N_ANS = len(answer_list)


def soft_target(answer):
    votes = [answer if rng.random() > ANNOTATOR_NOISE else rng.choice(answer_list)
             for _ in range(N_ANNOTATORS)]
    target = np.zeros(N_ANS, np.float32)
    for a, n in Counter(votes).items():
        target[A2I[a]] = min(n / 3.0, 1.0)
    return target


targets = np.stack([soft_target(a) for a in true_answers])

word_vocab = sorted({w for q in questions for w in q.split()})
W2I = {w: i + 1 for i, w in enumerate(word_vocab)}  # 0 = pad
q_ids = np.zeros((N_QA, MAX_Q), np.int32)
for i, q in enumerate(questions):
    ids = [W2I[w] for w in q.split()][:MAX_Q]
    q_ids[i, :len(ids)] = ids
print(f"{N_QA} questions, {N_ANS} answers, {len(word_vocab)} words")
print("soft target example:", questions[0], "->",
      {answer_list[j]: round(float(s), 2) for j, s in enumerate(targets[0]) if s > 0})

cut = int(0.8 * N_QA)
train_ds = (tf.data.Dataset.from_tensor_slices((images[:cut], q_ids[:cut], targets[:cut]))
            .shuffle(cut).batch(BATCH).prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((images[cut:], q_ids[cut:], targets[cut:])).batch(BATCH)


# --- model -----------------------------------------------------------------
class AttentionHop(layers.Layer):
    """One SAN hop: question vector u attends over image regions v_i, u <- u + attended."""

    def __init__(self, k=HIDDEN, **kw):
        super().__init__(**kw)
        self.img_proj = layers.Dense(k, use_bias=False)
        self.q_proj = layers.Dense(k)
        self.score = layers.Dense(1)
        self.drop = layers.Dropout(0.1)

    def call(self, regions, u, training=False):
        h = keras.ops.tanh(self.img_proj(regions) + keras.ops.expand_dims(self.q_proj(u), 1))
        h = self.drop(h, training=training)
        p = keras.ops.softmax(self.score(h), axis=1)  # (b, R, 1)
        attended = keras.ops.sum(p * regions, axis=1)
        return u + attended, keras.ops.squeeze(p, -1)


class SAN(keras.Model):
    def __init__(self, vocab_size, n_answers, hops=HOPS, **kw):
        super().__init__(**kw)
        self.cnn = keras.Sequential(
            [layers.Conv2D(32, 3, padding="same", activation="relu"),
             layers.MaxPooling2D(2),
             layers.Conv2D(64, 3, padding="same", activation="relu"),
             layers.MaxPooling2D(2),  # 32 -> 8x8 regions
             layers.Conv2D(HIDDEN, 1, activation="tanh")],
            name="region_cnn",
        )
        # learned 2D position embedding so the model can resolve "row r col c"
        self.region_pos = layers.Embedding(64, HIDDEN, name="region_pos")
        self.embed = layers.Embedding(vocab_size + 1, 32, mask_zero=True)
        self.q_rnn = layers.GRU(HIDDEN)
        self.hops = [AttentionHop(name=f"hop{i}") for i in range(hops)]
        self.classifier = layers.Dense(n_answers)

    def call(self, inputs, training=False, return_attention=False):
        img, q = inputs
        fmap = self.cnn(img)
        regions = keras.ops.reshape(fmap, (-1, 64, HIDDEN)) + self.region_pos(keras.ops.arange(64))
        u = self.q_rnn(self.embed(q))
        maps = []
        for hop in self.hops:
            u, p = hop(regions, u, training=training)
            maps.append(p)
        logits = self.classifier(u)
        return (logits, maps) if return_attention else logits


model = SAN(len(word_vocab), N_ANS)
opt = keras.optimizers.RMSprop(learning_rate=2e-3)
bce = keras.losses.BinaryCrossentropy(from_logits=True)
train_loss = keras.metrics.Mean()


def vqa_soft_accuracy(logits, soft):
    """Score of the argmax answer under the soft targets (standard VQA metric)."""
    pred = tf.argmax(logits, axis=-1)
    return tf.reduce_mean(tf.gather(soft, pred, batch_dims=1))


@tf.function(reduce_retracing=True)
def train_step(img, q, soft):
    with tf.GradientTape() as tape:
        logits = model((img, q), training=True)
        # BCE is averaged over answers; scale by N_ANS like the usual VQA recipe
        loss = bce(soft, logits) * N_ANS
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    return loss, vqa_soft_accuracy(logits, soft)


@tf.function
def eval_step(img, q, soft):
    logits = model((img, q), training=False)
    return vqa_soft_accuracy(logits, soft), tf.shape(img)[0]


for epoch in range(1, EPOCHS + 1):
    train_loss.reset_state()
    accs = []
    for step, (img, q, soft) in enumerate(train_ds):
        loss, acc = train_step(img, q, soft)
        train_loss.update_state(loss)
        accs.append(float(acc))
        if step % 5 == 0:
            print(f"  epoch {epoch} step {step:02d} loss {float(loss):.4f}")
    weighted = [(float(a) * int(n), int(n)) for a, n in (eval_step(*b) for b in val_ds)]
    val_acc = sum(w for w, _ in weighted) / sum(n for _, n in weighted)
    print(f"epoch {epoch}: loss={float(train_loss.result()):.4f} "
          f"train_vqa_acc={np.mean(accs):.3f} val_vqa_acc={val_acc:.3f}")

# inspect attention for one validation sample
logits, maps = model((images[cut:cut + 1], q_ids[cut:cut + 1]), return_attention=True)
print("Q:", questions[cut], "| GT:", true_answers[cut],
      "| pred:", answer_list[int(tf.argmax(logits[0]))])
for i, m in enumerate(maps):
    grid = m.numpy().reshape(8, 8)
    r, c = np.unravel_index(grid.argmax(), grid.shape)
    print(f"  hop {i}: max attention {grid.max():.3f} at 8x8 region ({r},{c})")
