"""IMDB-style LSTM sentiment classifier on synthetic integer sequences.

Mimics the classic keras imdb_lstm example: variable-length lists of word
ids are padded/truncated with `pad_sequences`, fed to Embedding + LSTM, and
the LSTM outputs are pooled over time with two `Lambda` layers (a lambda
using K.max and a named function using K.mean) before the sigmoid head.
The dataset is generated so that "positive" reviews contain more ids from
a small positive-word range.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras.preprocessing.sequence import pad_sequences
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import (Input, Embedding, LSTM, Bidirectional, Dense,
                                     Dropout, Lambda, concatenate, SpatialDropout1D)
from tensorflow.keras.callbacks import EarlyStopping

K = tf.keras.backend

MAX_FEATURES = 2000     # vocabulary size
MAXLEN = 80             # cut texts after this number of words
EMBEDDING_DIM = 32
LSTM_UNITS = 32
BATCH_SIZE = 32
EPOCHS = 1
BIDIRECTIONAL = True
N_REVIEWS = 200

np.random.seed(7)

POSITIVE_IDS = np.arange(10, 60)
NEGATIVE_IDS = np.arange(60, 110)


def make_review(label):
    length = np.random.randint(20, 150)
    words = np.random.randint(1, MAX_FEATURES, size=length)
    n_sent = max(1, length // 8)
    pool = POSITIVE_IDS if label == 1 else NEGATIVE_IDS
    idx = np.random.choice(length, size=n_sent, replace=False)
    words[idx] = np.random.choice(pool, size=n_sent)
    return list(words)


def load_data(n):
    labels = np.random.randint(0, 2, size=n)
    seqs = [make_review(l) for l in labels]
    split = int(n * 0.8)
    return (seqs[:split], labels[:split]), (seqs[split:], labels[split:])


def mean_over_time(x):
    return K.mean(x, axis=1)


def build_model(maxlen, vocab_size, dropout=0.5):
    inp = Input(shape=(maxlen,), dtype='int32', name='words')
    x = Embedding(vocab_size, EMBEDDING_DIM, name='embedding')(inp)
    x = SpatialDropout1D(0.2)(x)
    if BIDIRECTIONAL:
        x = Bidirectional(LSTM(LSTM_UNITS, return_sequences=True))(x)
    else:
        x = LSTM(LSTM_UNITS, return_sequences=True)(x)
    max_pool = Lambda(lambda t: K.max(t, axis=1), name='max_pool')(x)
    avg_pool = Lambda(mean_over_time, name='avg_pool')(x)
    x = concatenate([max_pool, avg_pool])
    x = Dense(32, activation='relu')(x)
    x = Dropout(dropout)(x)
    out = Dense(1, activation='sigmoid')(x)
    return Model(inputs=inp, outputs=out)


print('Loading data...')
(x_train, y_train), (x_test, y_test) = load_data(N_REVIEWS)
print(len(x_train), 'train sequences')
print(len(x_test), 'test sequences')
print('Average train length: %.1f' % np.mean([len(s) for s in x_train]))

print('Pad sequences (samples x time)')
x_train = pad_sequences(x_train, maxlen=MAXLEN, padding='pre', truncating='pre')
x_test = pad_sequences(x_test, maxlen=MAXLEN, padding='pre', truncating='pre')
print('x_train shape:', x_train.shape)
print('x_test shape:', x_test.shape)
assert x_train.shape == (len(y_train), MAXLEN)

print('Build model...')
model = build_model(MAXLEN, MAX_FEATURES, dropout=0.3)
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])
model.summary()

early = EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)
print('Train...')
model.fit(x_train, y_train.astype('float32'),
          batch_size=BATCH_SIZE,
          epochs=EPOCHS,
          validation_split=0.2,
          callbacks=[early],
          verbose=2)
score, acc = model.evaluate(x_test, y_test.astype('float32'),
                            batch_size=BATCH_SIZE, verbose=0)
print('Test score:', score)
print('Test accuracy:', acc)

# score a couple of "new" reviews
new_reviews = [make_review(1), make_review(0)]
new_x = pad_sequences(new_reviews, maxlen=MAXLEN)
probs = model.predict(new_x, verbose=0).ravel()
for p, review in zip(probs, new_reviews):
    print('len=%3d  p(positive)=%.3f' % (len(review), p))

# grab the embedding matrix like the old word-vector visualisation snippets
emb = model.get_layer('embedding').get_weights()[0]
print('embedding matrix:', emb.shape)
pooled = Model(inputs=model.input, outputs=model.get_layer('avg_pool').output)
print('pooled features:', pooled.predict(x_test[:3], verbose=0).shape)
