"""Siamese sentence-similarity network trained with a contrastive loss.

Both sentences go through the *same* encoder (shared weights). Pairs drawn
from the same intent are positives, pairs from different intents negatives.
Training uses a hand-written loop with tf.GradientTape inside a tf.function.
"""
import random
from collections import defaultdict

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

random.seed(11)
np.random.seed(11)
tf.random.set_seed(11)

MAXLEN = 12
EMBED = 48
ENC_DIM = 32
MARGIN = 0.2
BATCH = 32
EPOCHS = 2
PAIRS_PER_EPOCH = 384

INTENTS = {
    "book_flight": [
        "book a flight to {city}", "i need a plane ticket to {city}",
        "find me flights to {city} {when}", "can you get me to {city} by plane {when}",
    ],
    "weather": [
        "what is the weather in {city} {when}", "will it rain in {city} {when}",
        "is it cold in {city}", "forecast for {city} {when}",
    ],
    "restaurant": [
        "find a restaurant in {city}", "where can i eat in {city} {when}",
        "book a table in {city} {when}", "recommend some food places in {city}",
    ],
    "alarm": [
        "set an alarm for {when}", "wake me up {when}",
        "remind me {when}", "create an alarm {when} please",
    ],
}
FILLERS = {
    "city": ["rome", "lisbon", "denver", "cairo", "seoul", "lima"],
    "when": ["tomorrow", "tonight", "on friday", "next week", "at seven"],
}


def realize(template):
    out = template
    for slot, options in FILLERS.items():
        while "{" + slot + "}" in out:
            out = out.replace("{" + slot + "}", random.choice(options), 1)
    return out


def simple_tokenize(text):
    return text.lower().replace("?", "").split()


class WordIndex:
    def __init__(self):
        self.word2id = defaultdict(lambda: len(self.word2id))
        self.word2id["<pad>"]
        self.word2id["<oov>"]

    def fit(self, texts):
        for t in texts:
            for w in simple_tokenize(t):
                self.word2id[w]
        self.word2id = dict(self.word2id)  # freeze
        return self

    def transform(self, texts):
        seqs = np.zeros((len(texts), MAXLEN), dtype=np.int32)
        for i, t in enumerate(texts):
            ids = [self.word2id.get(w, 1) for w in simple_tokenize(t)][:MAXLEN]
            seqs[i, : len(ids)] = ids
        return seqs


def make_pairs(n, intent_names):
    left, right, labels = [], [], []
    for _ in range(n):
        a = random.choice(intent_names)
        same = random.random() < 0.5
        b = a if same else random.choice([x for x in intent_names if x != a])
        left.append(realize(random.choice(INTENTS[a])))
        right.append(realize(random.choice(INTENTS[b])))
        labels.append(float(same))
    return left, right, np.array(labels, dtype=np.float32)


def build_encoder(vocab_size):
    tokens = keras.Input(shape=(MAXLEN,), dtype="int32")
    x = layers.Embedding(vocab_size, EMBED, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.GRU(ENC_DIM, return_sequences=True))(x)
    x = layers.GlobalAveragePooling1D()(x)  # respects the padding mask
    x = layers.Dense(ENC_DIM, activation="tanh")(x)
    x = layers.UnitNormalization()(x)
    return keras.Model(tokens, x, name="shared_encoder")


def build_siamese(encoder):
    in_a = keras.Input(shape=(MAXLEN,), dtype="int32", name="sent_a")
    in_b = keras.Input(shape=(MAXLEN,), dtype="int32", name="sent_b")
    emb_a, emb_b = encoder(in_a), encoder(in_b)
    cos = layers.Dot(axes=1, normalize=True, name="cosine")([emb_a, emb_b])
    return keras.Model([in_a, in_b], layers.Flatten()(cos), name="siamese")


def contrastive_loss(y_true, cos_sim, margin=MARGIN):
    """Positives pulled to cos=1, negatives pushed below `margin`."""
    pos = y_true * tf.square(1.0 - cos_sim)
    neg = (1.0 - y_true) * tf.square(tf.nn.relu(cos_sim - margin))
    return tf.reduce_mean(pos + neg)


all_texts = [realize(t) for ts in INTENTS.values() for t in ts for _ in range(5)]
widx = WordIndex().fit(all_texts + [" ".join(v) for v in FILLERS.values()])
VOCAB_SIZE = len(widx.word2id)
print("vocab size:", VOCAB_SIZE)

intent_names = list(INTENTS)
la, rb, yl = make_pairs(PAIRS_PER_EPOCH, intent_names)
va, vb, vy = make_pairs(96, intent_names)
train_ds = (
    tf.data.Dataset.from_tensor_slices(((widx.transform(la), widx.transform(rb)), yl))
    .shuffle(PAIRS_PER_EPOCH)
    .batch(BATCH)
)
val_ds = tf.data.Dataset.from_tensor_slices(((widx.transform(va), widx.transform(vb)), vy)).batch(BATCH)

encoder = build_encoder(VOCAB_SIZE)
siamese = build_siamese(encoder)
siamese.summary()

optimizer = keras.optimizers.Adam(learning_rate=2e-3)
train_loss = keras.metrics.Mean(name="train_loss")
val_loss = keras.metrics.Mean(name="val_loss")
val_acc = keras.metrics.BinaryAccuracy(name="val_acc", threshold=0.5)


@tf.function
def train_step(inputs, labels):
    with tf.GradientTape() as tape:
        sims = siamese(inputs, training=True)
        loss = contrastive_loss(labels, sims)
    grads = tape.gradient(loss, siamese.trainable_variables)
    optimizer.apply_gradients(zip(grads, siamese.trainable_variables))
    train_loss.update_state(loss)
    return loss


@tf.function
def eval_step(inputs, labels):
    sims = siamese(inputs, training=False)
    val_loss.update_state(contrastive_loss(labels, sims))
    # map cosine in [-1, 1] to a pseudo-probability for accuracy
    val_acc.update_state(labels, (sims + 1.0) / 2.0)


for epoch in range(EPOCHS):
    for m in (train_loss, val_loss, val_acc):
        m.reset_state()
    for step, (inputs, labels) in enumerate(train_ds):
        loss = train_step(inputs, labels)
        if step % 5 == 0:
            print(f"  epoch {epoch + 1} step {step:02d} loss={float(loss):.4f}")
    for inputs, labels in val_ds:
        eval_step(inputs, labels)
    print(
        f"epoch {epoch + 1}: train_loss={train_loss.result():.4f} "
        f"val_loss={val_loss.result():.4f} val_acc={val_acc.result():.3f}"
    )

# use the trained encoder alone to embed a query and rank candidates
query = "will it snow in seoul tomorrow"
candidates = [
    "forecast for lima tonight",
    "book a table in rome on friday",
    "wake me up at seven",
    "i need a plane ticket to cairo",
]
q_vec = encoder.predict(widx.transform([query]), verbose=0)
c_vecs = encoder.predict(widx.transform(candidates), verbose=0)
scores = (c_vecs @ q_vec.T).ravel()
print(f"\nquery: {query}")
for idx in np.argsort(-scores):
    print(f"  {scores[idx]:+.3f}  {candidates[idx]}")
