import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.preprocessing import sequence
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Dropout, Embedding, LSTM, GRU, Bidirectional
from tensorflow.keras.layers import GlobalMaxPool1D, Conv1D, MaxPooling1D, SpatialDropout1D

max_features = 2000   # vocabulary size
maxlen = 80           # cut texts after this number of words
batch_size = 16
embedding_dims = 32

# fake "imdb" -- list of variable length int sequences
rng = np.random.RandomState(7)
def fake_reviews(n):
    return [list(rng.randint(1, max_features, size=rng.randint(10, 150))) for _ in range(n)]

x_train = fake_reviews(32)
x_test = fake_reviews(16)
y_train = rng.randint(0, 2, size=(32,))
y_test = rng.randint(0, 2, size=(16,))
print(len(x_train), 'train sequences')
print(len(x_test), 'test sequences')

print('Pad sequences (samples x time)')
x_train = sequence.pad_sequences(x_train, maxlen=maxlen)
x_test = keras.utils.pad_sequences(x_test, maxlen=maxlen, padding='post', truncating='post')
print('x_train shape:', x_train.shape)
print('x_test shape:', x_test.shape)

# ---------- model 1: stacked BiLSTM ----------
model = Sequential()
model.add(Embedding(max_features, 64, input_length=maxlen))
model.add(Bidirectional(LSTM(64, return_sequences=True)))
model.add(Bidirectional(LSTM(32)))
model.add(Dropout(0.5))
model.add(Dense(1, activation='sigmoid'))
model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])

print('Train...')
model.fit(x_train, y_train,
          batch_size=batch_size,
          epochs=1,
          validation_data=(x_test, y_test))
score, acc = model.evaluate(x_test, y_test, batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
model.summary()

# ---------- model 2: GRU + GlobalMaxPool1D ----------
def build_gru_model(vocab, seq_len, emb=embedding_dims):
    inp = keras.Input(shape=(seq_len,), dtype='int32')
    x = Embedding(vocab, emb)(inp)
    x = SpatialDropout1D(0.2)(x)
    x = Bidirectional(GRU(32, return_sequences=True))(x)
    x = GlobalMaxPool1D()(x)
    x = Dense(16, activation='relu')(x)
    x = Dropout(0.1)(x)
    out = Dense(1, activation='sigmoid')(x)
    m = keras.Model(inputs=inp, outputs=out)
    m.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
    return m

gru_model = build_gru_model(max_features, maxlen)
gru_model.fit(x_train, y_train, batch_size=batch_size, epochs=1, validation_split=0.2, verbose=2)
gru_pred = gru_model.predict(x_test, verbose=0)
print('gru predictions:', gru_pred.shape, (gru_pred > 0.5).astype(int).ravel()[:10])

# ---------- model 3: CNN + LSTM ----------
kernel_size = 5
filters = 64
pool_size = 4
lstm_output_size = 70

cnn_lstm = Sequential()
cnn_lstm.add(Embedding(max_features, 128, input_length=maxlen))
cnn_lstm.add(Dropout(0.25))
cnn_lstm.add(Conv1D(filters, kernel_size, padding='valid', activation='relu', strides=1))
cnn_lstm.add(MaxPooling1D(pool_size=pool_size))
cnn_lstm.add(LSTM(lstm_output_size))
cnn_lstm.add(Dense(1))
cnn_lstm.add(keras.layers.Activation('sigmoid'))
cnn_lstm.compile(loss='binary_crossentropy', optimizer='adam', metrics=['accuracy'])
cnn_lstm.fit(x_train, y_train, batch_size=batch_size, epochs=1, verbose=2)
print(cnn_lstm.evaluate(x_test, y_test, verbose=0))
for l in cnn_lstm.layers:
    print('%-20s %s' % (l.name, l.output.shape))

# quick sanity on a single padded review
one = sequence.pad_sequences([[12, 44, 5, 900]], maxlen=maxlen)
print('single review prob: %.4f' % float(cnn_lstm.predict(one, verbose=0)[0, 0]))
