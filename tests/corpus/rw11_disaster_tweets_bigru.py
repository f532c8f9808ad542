#!/usr/bin/env python
# coding: utf-8
"""NLP with Disaster Tweets (Kaggle-style notebook export).

TextVectorization -> Embedding -> Bidirectional GRU, with concatenated
global max + average pooling, plus a small block of hand-made "meta"
features (length, hashtags, urls, caps ratio) fed through a second input.
Trained with a manual 2-fold CV, out-of-fold F1 is used to pick the
decision threshold, and fold predictions are averaged for the submission.
"""

# In[1]:


import re
import numpy as np
import tensorflow as tf
import keras
from keras import layers

rs = np.random.RandomState(3)
keras.utils.set_random_seed(3)


# In[2]:


disaster_words = ["fire", "flood", "earthquake", "evacuate", "wildfire", "storm", "crash", "collapse"]
normal_words = ["lol", "love", "party", "music", "game", "happy", "coffee", "movie", "weekend"]
filler = ["the", "a", "is", "in", "on", "my", "at", "just", "so", "this", "near", "now"]


def fake_tweet(label):
    pool = disaster_words if label else normal_words
    words = list(rs.choice(filler, rs.randint(3, 10))) + list(rs.choice(pool, rs.randint(1, 3)))
    rs.shuffle(words)
    if rs.rand() < 0.3:
        words.append("#" + rs.choice(pool))
    if rs.rand() < 0.3:
        words.append("http://t.co/" + "".join(rs.choice(list("abcxyz0123"), 6)))
    if rs.rand() < 0.2:
        words = [w.upper() for w in words]
    return " ".join(words)


y = rs.randint(0, 2, 180)
texts = np.array([fake_tweet(l) for l in y])
test_texts = np.array([fake_tweet(l) for l in rs.randint(0, 2, 60)])
print(len(texts), texts[:3])
print("target mean:", y.mean())


# In[3]:


def meta_features(arr):
    rows = []
    for t in arr:
        n_chars = len(t)
        n_words = len(t.split())
        n_hash = t.count("#")
        n_url = len(re.findall(r"http\S+", t))
        caps = sum(c.isupper() for c in t) / max(n_chars, 1)
        rows.append([n_chars, n_words, n_hash, n_url, caps])
    return np.array(rows, dtype="float32")


meta = meta_features(texts)
meta_test = meta_features(test_texts)
m_mu, m_sd = meta.mean(0), meta.std(0) + 1e-6
meta = (meta - m_mu) / m_sd
meta_test = (meta_test - m_mu) / m_sd
print("meta", meta.shape)


# In[4]:


def clean(x):
    x = tf.strings.lower(x)
    x = tf.strings.regex_replace(x, r"http\S+", " url ")
    x = tf.strings.regex_replace(x, r"#", " ")
    x = tf.strings.regex_replace(x, r"[^a-z ]", " ")
    return x


MAX_TOKENS, SEQ_LEN = 2000, 16
vectorizer = layers.TextVectorization(max_tokens=MAX_TOKENS, standardize=clean,
                                      output_sequence_length=SEQ_LEN)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(texts).batch(64))
vocab = vectorizer.get_vocabulary()
print("vocab size:", len(vocab), vocab[:12])

X_seq = vectorizer(texts).numpy()
X_seq_test = vectorizer(test_texts).numpy()
print(X_seq.shape, X_seq_test.shape)


# In[5]:


def build_model():
    tok = keras.Input(shape=(SEQ_LEN,), dtype="int64", name="tokens")
    met = keras.Input(shape=(meta.shape[1],), name="meta")
    e = layers.Embedding(len(vocab), 48)(tok)
    e = layers.SpatialDropout1D(0.2)(e)
    h = layers.Bidirectional(layers.GRU(24, return_sequences=True))(e)
    pooled = layers.concatenate([layers.GlobalMaxPooling1D()(h),
                                 layers.GlobalAveragePooling1D()(h)])
    m = layers.Dense(8, activation="relu")(met)
    x = layers.concatenate([pooled, m])
    x = layers.Dropout(0.3)(x)
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    model = keras.Model([tok, met], out)
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    return model


build_model().summary()


# In[6]:


K = 2
fold_id = rs.permutation(len(y)) % K
oof = np.zeros(len(y), dtype="float32")
sub_pred = np.zeros(len(test_texts), dtype="float32")

for k in range(K):
    tr, va = np.where(fold_id != k)[0], np.where(fold_id == k)[0]
    model = build_model()
    model.fit([X_seq[tr], meta[tr]], y[tr], validation_data=([X_seq[va], meta[va]], y[va]),
              epochs=1, batch_size=32, verbose=2)
    oof[va] = model.predict([X_seq[va], meta[va]], verbose=0).ravel()
    sub_pred += model.predict([X_seq_test, meta_test], verbose=0).ravel() / K


# In[7]:


def f1_at(t, y_true, p):
    pred = (p > t).astype(int)
    tp = np.sum((pred == 1) & (y_true == 1))
    fp = np.sum((pred == 1) & (y_true == 0))
    fn = np.sum((pred == 0) & (y_true == 1))
    return 2 * tp / max(2 * tp + fp + fn, 1)


thresholds = np.arange(0.1, 0.91, 0.05)
scores = np.array([f1_at(t, y, oof) for t in thresholds])
best_t = thresholds[scores.argmax()]
print(f"best threshold {best_t:.2f} -> OOF F1 {scores.max():.4f}")

submission = np.column_stack([np.arange(len(sub_pred)), (sub_pred > best_t).astype(int)])
print(submission[:5], submission.shape)
