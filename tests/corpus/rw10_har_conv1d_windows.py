"""1D CNN for human-activity recognition on sliding windows built in numpy.

Generates a synthetic tri-axial accelerometer stream where each activity
segment has its own dominant frequency, cuts it into overlapping windows
with a plain numpy sliding-window function (majority label per window),
standardises per channel, and trains a Conv1D classifier. A Lambda layer
appends the acceleration magnitude as a 4th channel with K.concatenate.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import (Input, Conv1D, MaxPooling1D, GlobalMaxPooling1D,
                                     Dense, Dropout, Lambda, BatchNormalization, Flatten)
from tensorflow.keras.utils import to_categorical

K = tf.keras.backend

ACTIVITIES = ['walking', 'upstairs', 'downstairs', 'sitting', 'standing', 'laying']
N_CLASSES = len(ACTIVITIES)
SAMPLING_RATE = 50          # Hz
WINDOW_SIZE = 128           # 2.56 s windows, like UCI-HAR
STEP = 64                   # 50% overlap
N_CHANNELS = 3
SEGMENTS = 24
SEGMENT_LEN = 400
EPOCHS = 1
BATCH_SIZE = 32
USE_POOLING = True
GLOBAL_POOL = True

np.random.seed(2017)


def synth_stream():
    signals, labels = [], []
    t = np.arange(SEGMENT_LEN) / float(SAMPLING_RATE)
    for _ in range(SEGMENTS):
        act = np.random.randint(N_CLASSES)
        freq = 0.5 + act * 0.4
        seg = np.stack([np.sin(2 * np.pi * freq * t + p) for p in (0.0, 1.0, 2.0)], axis=1)
        seg = seg * (1.0 + 0.3 * act) + 0.2 * np.random.randn(SEGMENT_LEN, N_CHANNELS)
        signals.append(seg)
        labels.append(np.full(SEGMENT_LEN, act))
    return np.concatenate(signals).astype('float32'), np.concatenate(labels)


def sliding_windows(data, labels, size, step):
    n = (len(data) - size) // step + 1
    X = np.empty((n, size, data.shape[1]), dtype='float32')
    y = np.empty((n,), dtype='int64')
    for i in range(n):
        start = i * step
        X[i] = data[start:start + size]
        y[i] = np.bincount(labels[start:start + size], minlength=N_CLASSES).argmax()
    return X, y


def add_magnitude(x):
    mag = K.sqrt(K.sum(K.square(x), axis=-1, keepdims=True) + K.epsilon())
    return K.concatenate([x, mag], axis=-1)


def build_model(input_shape, num_classes, dropout=0.5):
    model = Sequential()
    model.add(Lambda(add_magnitude, input_shape=input_shape, name='magnitude'))
    model.add(Conv1D(filters=32, kernel_size=5, activation='relu', padding='same'))
    model.add(BatchNormalization())
    model.add(Conv1D(filters=32, kernel_size=5, activation='relu', padding='same'))
    if USE_POOLING:
        model.add(MaxPooling1D(pool_size=2))
    model.add(Conv1D(filters=64, kernel_size=3, activation='relu'))
    if GLOBAL_POOL:
        model.add(GlobalMaxPooling1D())
    else:
        model.add(Flatten())
    model.add(Dropout(dropout))
    model.add(Dense(64, activation='relu'))
    model.add(Dense(num_classes, activation='softmax'))
    return model


stream, stream_labels = synth_stream()
print('raw stream:', stream.shape)

X, y = sliding_windows(stream, stream_labels, WINDOW_SIZE, STEP)
print('windows:', X.shape, 'labels:', np.bincount(y, minlength=N_CLASSES))

# shuffle then split
idx = np.random.permutation(len(X))
X, y = X[idx], y[idx]
n_test = len(X) // 5
X_train, X_test = X[n_test:], X[:n_test]
y_train, y_test = y[n_test:], y[:n_test]

# per-channel standardisation with training statistics only
mu = X_train.reshape(-1, N_CHANNELS).mean(axis=0)
sigma = X_train.reshape(-1, N_CHANNELS).std(axis=0) + 1e-8
X_train = (X_train - mu) / sigma
X_test = (X_test - mu) / sigma

Y_train = to_categorical(y_train, N_CLASSES)
Y_test = to_categorical(y_test, N_CLASSES)

n_timesteps, n_features = X_train.shape[1], X_train.shape[2]
model = build_model((n_timesteps, n_features), N_CLASSES, dropout=0.3)
model.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
model.summary()
print('magnitude layer output:', K.int_shape(model.get_layer('magnitude').output))

model.fit(X_train, Y_train, epochs=EPOCHS, batch_size=BATCH_SIZE,
          validation_split=0.1, verbose=2)
_, accuracy = model.evaluate(X_test, Y_test, batch_size=BATCH_SIZE, verbose=0)
print('test accuracy: %.3f' % accuracy)

pred = np.argmax(model.predict(X_test, verbose=0), axis=1)
confusion = np.zeros((N_CLASSES, N_CLASSES), dtype=int)
for t, p in zip(y_test, pred):
    confusion[t, p] += 1
print('confusion matrix (rows=true):')
for name, row in zip(ACTIVITIES, confusion):
    print('%-11s %s' % (name, row))

# embedding of each window from the dense layer before softmax
embedder = Model(inputs=model.inputs, outputs=model.layers[-2].output)
print('window embeddings:', embedder.predict(X_test[:4], verbose=0).shape)
