# Sentiment classification with BiLSTM + additive attention
# (course project style; tiny synthetic reviews so it runs without the IMDB files)
import random
import re
import numpy as np
import tensorflow as tf
from tensorflow.keras.layers import *
from tensorflow.keras.models import Model
from tensorflow.keras import backend as K
from tensorflow.keras.preprocessing.sequence import pad_sequences

random.seed(1)
np.random.seed(1)

MAX_LEN = 20
EMBED_DIM = 32
LSTM_UNITS = 24
VOCAB_CAP = 200

pos_words = ["great", "good", "loved", "amazing", "fun", "brilliant", "best", "enjoyed"]
neg_words = ["bad", "boring", "awful", "worst", "hated", "dull", "waste", "poor"]
filler = ["the", "movie", "was", "a", "film", "plot", "acting", "i", "it", "and",
          "really", "so", "this", "story", "characters", "very"]


def make_review(label):
    words = random.choices(filler, k=random.randint(5, 25))
    sentiment = pos_words if label == 1 else neg_words
    for _ in range(random.randint(1, 3)):
        words.insert(random.randint(0, len(words)), random.choice(sentiment))
    return " ".join(words) + random.choice([".", "!", "!!", "..."])


labels = [random.randint(0, 1) for _ in range(48)]
texts = [make_review(l) for l in labels]
print(texts[0], "->", labels[0])


def clean(text):
    text = text.lower()
    text = re.sub(r"[^a-z\s]", " ", text)
    return text.split()


# ---- build vocab by hand ------------------------------------------------------
word_counts = {}
for t in texts:
    for w in clean(t):
        word_counts[w] = word_counts.get(w, 0) + 1

sorted_words = sorted(word_counts.items(), key=lambda kv: -kv[1])
word_index = {"<pad>": 0, "<unk>": 1}
for w, _ in sorted_words[: VOCAB_CAP - 2]:
    word_index[w] = len(word_index)
vocab_size = len(word_index)
print("vocab size:", vocab_size)

sequences = [[word_index.get(w, 1) for w in clean(t)] for t in texts]
print("avg len:", np.mean([len(s) for s in sequences]))
X = pad_sequences(sequences, maxlen=MAX_LEN, padding="post", truncating="post")
y = np.array(labels, dtype="float32")
print("X:", X.shape, X.dtype)

n_train = 36
X_train, X_test = X[:n_train], X[n_train:]
y_train, y_test = y[:n_train], y[n_train:]


class Attention(Layer):
    """Bahdanau-style attention pooling over timesteps."""

    def __init__(self, return_attention=False, **kwargs):
        super(Attention, self).__init__(**kwargs)
        self.return_attention = return_attention

    def build(self, input_shape):
        # input_shape: (batch, timesteps, features)
        self.W = self.add_weight(name="att_weight", shape=(input_shape[-1], 1),
                                 initializer="glorot_uniform", trainable=True)
        self.b = self.add_weight(name="att_bias", shape=(input_shape[1], 1),
                                 initializer="zeros", trainable=True)
        super(Attention, self).build(input_shape)

    def call(self, x):
        # e: (batch, timesteps, 1)
        e = K.tanh(K.dot(x, self.W) + self.b)
        a = K.softmax(e, axis=1)
        output = x * a
        context = K.sum(output, axis=1)
        if self.return_attention:
            return [context, K.squeeze(a, -1)]
        return context

    def compute_output_shape(self, input_shape):
        if self.return_attention:
            return [(input_shape[0], input_shape[-1]), (input_shape[0], input_shape[1])]
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update({"return_attention": self.return_attention})
        return config


def build_model():
    inp = Input(shape=(MAX_LEN,), dtype="int32")
    emb = Embedding(vocab_size, EMBED_DIM, mask_zero=False)(inp)
    emb = SpatialDropout1D(0.2)(emb)
    h = Bidirectional(LSTM(LSTM_UNITS, return_sequences=True))(emb)
    context, att = Attention(return_attention=True, name="attention")(h)
    x = Dense(16, activation="relu")(context)
    x = Dropout(0.3)(x)
    out = Dense(1, activation="sigmoid")(x)
    clf = Model(inputs=inp, outputs=out)
    viz = Model(inputs=inp, outputs=att)   # shares weights, for plotting attention
    return clf, viz


model, att_model = build_model()
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.summary()

es = tf.keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
history = model.fit(X_train, y_train, batch_size=12, epochs=1,
                    validation_data=(X_test, y_test), callbacks=[es])

loss, acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test acc {acc:.4f}")

# look at which words the model attends to for one review
weights = att_model.predict(X_test[:1], verbose=0)[0]
inv_index = {v: k for k, v in word_index.items()}
tokens = [inv_index[i] for i in X_test[0] if i != 0]
top = np.argsort(-weights[: len(tokens)])[:3]
print("most attended:", [tokens[i] for i in top])
print("attention weights shape:", weights.shape)
