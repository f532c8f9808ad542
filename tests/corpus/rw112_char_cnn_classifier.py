# ---------------------------------------------------------------
# Character-level CNN text classifier (Zhang et al. style, tiny)
# Classifies noisy short messages into 4 topics. Typos are injected
# on purpose: a char model should still cope with them.
# ---------------------------------------------------------------
import string
import numpy as np
import tensorflow as tf
from tensorflow import keras

rng = np.random.default_rng(42)
tf.random.set_seed(42)

# ---- config ----
ALPHABET = string.ascii_lowercase + string.digits + " .,!?'-"
MAX_CHARS = 96
CONV_SPECS = [(64, 7, 3), (64, 5, 3), (96, 3, None)]  # (filters, kernel, pool)
DENSE_UNITS = [64]
N_PER_CLASS = 110
TYPO_RATE = 0.05

TOPICS = {
    "weather": {
        "start": ["looks like", "forecast says", "heads up,", "ugh", "apparently"],
        "core": ["heavy rain", "a thunderstorm", "snow", "strong wind", "sunshine", "fog", "hail"],
        "end": ["this afternoon", "tomorrow morning", "all weekend", "near the coast", "by 5pm"],
    },
    "sports": {
        "start": ["did you see", "unbelievable,", "just watched", "wow", "final score:"],
        "core": ["the striker scored twice", "a late penalty", "the goalkeeper", "overtime win",
                 "the 3-1 match", "a record sprint"],
        "end": ["last night", "in the derby", "at the stadium", "in the finals", "on tv"],
    },
    "food": {
        "start": ["tried", "cooking", "craving", "recipe for", "we ordered"],
        "core": ["spicy ramen", "banana bread", "grilled salmon", "a veggie pizza", "lemon tart",
                 "garlic noodles"],
        "end": ["for dinner", "at that new place", "with extra cheese", "tonight", "again lol"],
    },
    "tech": {
        "start": ["my laptop", "the new update", "anyone else?", "finally", "bug report:"],
        "core": ["keeps crashing", "broke the wifi driver", "drains the battery", "fixed the gpu",
                 "installed linux", "lost my ssh keys"],
        "end": ["after reboot", "on version 2.1", "since monday", "again", "no idea why"],
    },
}
CLASS_NAMES = sorted(TOPICS)
char_to_idx = {c: i + 2 for i, c in enumerate(ALPHABET)}  # 0 pad, 1 unknown


def add_typos(text, rate=TYPO_RATE):
    chars = list(text)
    for i in range(len(chars)):
        r = rng.random()
        if r < rate / 2:
            chars[i] = rng.choice(list(string.ascii_lowercase))
        elif r < rate:
            chars[i] = ""  # drop a char
    return "".join(chars)


def sample_message(topic):
    parts = TOPICS[topic]
    msg = " ".join(rng.choice(parts[k]) for k in ("start", "core", "end"))
    if rng.random() < 0.3:
        msg += rng.choice(["!", "!!", "?", " :)", "."])
    return add_typos(msg)


def vectorize(texts):
    arr = np.zeros((len(texts), MAX_CHARS), dtype=np.int32)
    for row, t in enumerate(texts):
        ids = [char_to_idx.get(c, 1) for c in t.lower()[:MAX_CHARS]]
        arr[row, : len(ids)] = ids
    return arr


texts, labels = [], []
for label, topic in enumerate(CLASS_NAMES):
    for _ in range(N_PER_CLASS):
        texts.append(sample_message(topic))
        labels.append(label)

perm = rng.permutation(len(texts))
texts = [texts[i] for i in perm]
y = np.array(labels)[perm]
X = vectorize(texts)

print("samples:", X.shape, "class counts:", np.bincount(y))
for t, l in list(zip(texts, y))[:4]:
    print(f"  [{CLASS_NAMES[l]:>7}] {t}")


# ---- model ----
def build_char_cnn(num_classes, vocab_size=len(ALPHABET) + 2, emb_dim=24, dropout=0.3):
    model = keras.Sequential(name="char_cnn")
    model.add(keras.layers.Input(shape=(MAX_CHARS,), dtype="int32"))
    model.add(keras.layers.Embedding(vocab_size, emb_dim))
    for i, (filters, kernel, pool) in enumerate(CONV_SPECS):
        model.add(keras.layers.Conv1D(filters, kernel, padding="same", name=f"conv{i}"))
        model.add(keras.layers.BatchNormalization(name=f"bn{i}"))
        model.add(keras.layers.Activation("relu"))
        if pool:
            model.add(keras.layers.MaxPooling1D(pool, name=f"pool{i}"))
    model.add(keras.layers.GlobalMaxPooling1D())
    for units in DENSE_UNITS:
        model.add(keras.layers.Dense(units, activation="relu"))
        model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(num_classes, activation="softmax"))
    return model


model = build_char_cnn(len(CLASS_NAMES))
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=["accuracy"],
)
model.summary(line_length=90)

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
]
hist = model.fit(
    X, y,
    validation_split=0.2,
    batch_size=32,
    epochs=2,
    callbacks=callbacks,
    verbose=2,
)

# ---- quick evaluation / confusion matrix in numpy ----
n_val = int(len(X) * 0.2)
X_val, y_val = X[-n_val:], y[-n_val:]
pred = model.predict(X_val, batch_size=64, verbose=0).argmax(axis=1)
conf = np.zeros((len(CLASS_NAMES), len(CLASS_NAMES)), dtype=int)
np.add.at(conf, (y_val, pred), 1)
print("confusion matrix (rows=true):")
print("        " + " ".join(f"{c[:6]:>6}" for c in CLASS_NAMES))
for name, row in zip(CLASS_NAMES, conf):
    print(f"{name[:6]:>6}  " + " ".join(f"{v:>6d}" for v in row))

new_msgs = ["my phone keeps crashing after the update", "so much rain tonite", "best tacos ever for lunch"]
probs = model.predict(vectorize(new_msgs), verbose=0)
for msg, p in zip(new_msgs, probs):
    print(f"{msg!r:50s} -> {CLASS_NAMES[p.argmax()]} ({p.max():.2f})")
