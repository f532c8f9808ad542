# Video / frame-sequence classification: CNN-LSTM and ConvLSTM2D examples
import numpy as np
import keras
from keras.models import Sequential, Model
from keras.layers import (Input, TimeDistributed, Conv2D, MaxPooling2D, Flatten, Dense,
                          Dropout, LSTM, GRU, ConvLSTM2D, BatchNormalization, Conv3D,
                          GlobalAveragePooling3D)

N_FRAMES = 8
FRAME_H, FRAME_W, FRAME_C = 32, 32, 3
N_CLASSES = 5
N_SAMPLES = 16


def build_cnn_lstm(frames, h, w, c, n_classes):
    model = Sequential()
    model.add(TimeDistributed(Conv2D(16, (3, 3), activation='relu', padding='same'),
                              input_shape=(frames, h, w, c)))
    model.add(TimeDistributed(MaxPooling2D((2, 2))))
    model.add(TimeDistributed(Conv2D(32, (3, 3), activation='relu')))
    model.add(TimeDistributed(MaxPooling2D((2, 2))))
    model.add(TimeDistributed(Flatten()))
    model.add(Dropout(0.3))
    model.add(LSTM(64, return_sequences=True))
    model.add(GRU(32))
    model.add(Dense(64, activation='relu'))
    model.add(Dense(n_classes, activation='softmax'))
    return model


def build_conv_lstm(frames, h, w, c):
    """Next-frame-prediction style ConvLSTM stack (like the keras.io example)."""
    inp = Input(shape=(frames, h, w, c))
    x = ConvLSTM2D(filters=16, kernel_size=(3, 3), padding='same', return_sequences=True)(inp)
    x = BatchNormalization()(x)
    x = ConvLSTM2D(filters=16, kernel_size=(3, 3), padding='same', return_sequences=True)(x)
    x = BatchNormalization()(x)
    out = Conv3D(filters=c, kernel_size=(3, 3, 3), activation='sigmoid', padding='same',
                 data_format='channels_last')(x)
    return Model(inp, out, name='convlstm_nextframe')


# --- random "videos" ---
X = np.random.rand(N_SAMPLES, N_FRAMES, FRAME_H, FRAME_W, FRAME_C).astype('float32')
y = keras.utils.to_categorical(np.random.randint(0, N_CLASSES, N_SAMPLES), num_classes=N_CLASSES)

cnn_lstm = build_cnn_lstm(N_FRAMES, FRAME_H, FRAME_W, FRAME_C, N_CLASSES)
cnn_lstm.compile(loss='categorical_crossentropy', optimizer='adam', metrics=['accuracy'])
cnn_lstm.summary()
cnn_lstm.fit(X, y, batch_size=4, epochs=1, verbose=2)
probs = cnn_lstm.predict(X[:3], verbose=0)
print('cnn-lstm probs', probs.shape, probs.argmax(-1))

# --- ConvLSTM: predict the shifted sequence ---
gray = np.random.rand(N_SAMPLES, N_FRAMES + 1, 16, 16, 1).astype('float32')
x_seq, y_seq = gray[:, :-1], gray[:, 1:]
print('x_seq', x_seq.shape, 'y_seq', y_seq.shape)

seq_model = build_conv_lstm(N_FRAMES, 16, 16, 1)
seq_model.compile(loss='binary_crossentropy', optimizer='adadelta')
seq_model.fit(x_seq, y_seq, batch_size=4, epochs=1, verbose=2)
next_frames = seq_model.predict(x_seq[:2], verbose=0)
print('predicted frames', next_frames.shape)
last = next_frames[:, -1, ...]
print('last predicted frame', last.shape)

# --- ConvLSTM classifier variant ---
clf = Sequential([
    Input(shape=(N_FRAMES, FRAME_H, FRAME_W, FRAME_C)),
    ConvLSTM2D(8, (3, 3), strides=(2, 2), padding='valid', return_sequences=True),
    BatchNormalization(),
    Conv3D(16, (3, 3, 3), activation='relu', padding='same'),
    GlobalAveragePooling3D(),
    Dense(N_CLASSES, activation='softmax'),
])
clf.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['acc'])
clf.fit(X, y, epochs=1, batch_size=8, verbose=0)
loss, acc = clf.evaluate(X, y, verbose=0)
print('convlstm classifier loss=%.3f acc=%.3f' % (loss, acc))
for layer in clf.layers:
    print(layer.name, layer.output.shape)
