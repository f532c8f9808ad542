"""Three classic MNIST baselines, trained on random stand-in data.

MLP -> LeNet-5 -> small CNN. Mirrors the usual "compare architectures" notebook.
"""
import numpy as np
from keras.models import Sequential
from keras.layers import (Dense, Dropout, Flatten, Conv2D, MaxPooling2D,
                          AveragePooling2D, Input)
from keras.utils import to_categorical

NUM_CLASSES = 10
IMG_ROWS, IMG_COLS = 28, 28
BATCH_SIZE = 16
EPOCHS = 1
N_TRAIN = 48
N_TEST = 16

np.random.seed(42)

# fake "mnist.load_data()"
x_train = np.random.randint(0, 256, size=(N_TRAIN, IMG_ROWS, IMG_COLS)).astype(np.uint8)
y_train = np.random.randint(0, NUM_CLASSES, size=(N_TRAIN,))
x_test = np.random.randint(0, 256, size=(N_TEST, IMG_ROWS, IMG_COLS)).astype(np.uint8)
y_test = np.random.randint(0, NUM_CLASSES, size=(N_TEST,))

print('x_train shape:', x_train.shape)
print(x_train.shape[0], 'train samples')
print(x_test.shape[0], 'test samples')

Y_train = to_categorical(y_train, NUM_CLASSES)
Y_test = to_categorical(y_test, NUM_CLASSES)


# ---------------------------------------------------------------------------
# 1) Multi-layer perceptron
# ---------------------------------------------------------------------------
def build_mlp(hidden=(512, 256), drop=0.2):
    model = Sequential()
    model.add(Flatten(input_shape=(IMG_ROWS, IMG_COLS)))
    for units in hidden:
        model.add(Dense(units, activation='relu'))
        model.add(Dropout(drop))
    model.add(Dense(NUM_CLASSES, activation='softmax'))
    return model


x_train_mlp = x_train.astype('float32') / 255.
x_test_mlp = x_test.astype('float32') / 255.

mlp = build_mlp()
mlp.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])
mlp.summary()
mlp.fit(x_train_mlp, Y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0,
        validation_data=(x_test_mlp, Y_test))
score = mlp.evaluate(x_test_mlp, Y_test, verbose=0)
print('MLP test loss:', score[0], 'accuracy:', score[1])


# ---------------------------------------------------------------------------
# 2) LeNet-5 (tanh + average pooling, 32x32 input via padding)
# ---------------------------------------------------------------------------
def lenet5(input_shape=(32, 32, 1), n_classes=NUM_CLASSES):
    model = Sequential(name='LeNet5')
    model.add(Input(shape=input_shape))
    model.add(Conv2D(6, kernel_size=(5, 5), strides=(1, 1), activation='tanh', padding='valid'))
    model.add(AveragePooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Conv2D(16, kernel_size=(5, 5), strides=(1, 1), activation='tanh'))
    model.add(AveragePooling2D(pool_size=(2, 2), strides=(2, 2)))
    model.add(Flatten())
    model.add(Dense(120, activation='tanh'))
    model.add(Dense(84, activation='tanh'))
    model.add(Dense(n_classes, activation='softmax'))
    return model


# LeNet expects 32x32 -> pad the 28x28 digits by 2 pixels each side
x_train_le = np.pad(x_train, ((0, 0), (2, 2), (2, 2)), 'constant')
x_test_le = np.pad(x_test, ((0, 0), (2, 2), (2, 2)), 'constant')
x_train_le = np.expand_dims(x_train_le, axis=-1).astype('float32') / 255.
x_test_le = np.expand_dims(x_test_le, axis=-1).astype('float32') / 255.
print('LeNet input:', x_train_le.shape)

lenet = lenet5()
lenet.compile(loss='categorical_crossentropy', optimizer='sgd', metrics=['accuracy'])
lenet.summary()
lenet.fit(x_train_le, Y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=0)
preds = lenet.predict(x_test_le, verbose=0)
print('LeNet predictions:', preds.shape, np.argmax(preds, axis=1)[:5])


# ---------------------------------------------------------------------------
# 3) Simple convnet (keras/examples/mnist_cnn.py style)
# ---------------------------------------------------------------------------
x_train_cnn = x_train.reshape(-1, 28, 28, 1).astype('float32') / 255
x_test_cnn = x_test.reshape(-1, 28, 28, 1).astype('float32') / 255
input_shape = (IMG_ROWS, IMG_COLS, 1)

cnn = Sequential()
cnn.add(Conv2D(32, kernel_size=(3, 3), activation='relu', input_shape=input_shape))
cnn.add(Conv2D(64, (3, 3), activation='relu'))
cnn.add(MaxPooling2D(pool_size=(2, 2)))
cnn.add(Dropout(0.25))
cnn.add(Flatten())
cnn.add(Dense(128, activation='relu'))
cnn.add(Dropout(0.5))
cnn.add(Dense(NUM_CLASSES, activation='softmax'))

cnn.compile(loss='categorical_crossentropy', optimizer='adadelta', metrics=['accuracy'])
cnn.fit(x_train_cnn, Y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=1,
        validation_data=(x_test_cnn, Y_test))
score = cnn.evaluate(x_test_cnn, Y_test, verbose=0)
print('CNN test loss:', score[0])
print('CNN test accuracy:', score[1])

# single-image inference, as done in most tutorials
sample = x_test_cnn[0]
sample_pred = cnn.predict(np.expand_dims(sample, axis=0), verbose=0)
print('Predicted digit:', int(np.argmax(sample_pred)), 'probs shape', sample_pred.shape)

for name, m in [('mlp', mlp), ('lenet', lenet), ('cnn', cnn)]:
    print(name, 'params:', m.count_params())
