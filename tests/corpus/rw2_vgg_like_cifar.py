# VGG-style convnet for CIFAR-10 (small random data for a quick smoke test)
import numpy as np
import keras
from keras.models import Sequential
from keras.layers import Conv2D, BatchNormalization, Activation, MaxPooling2D
from keras.layers import Flatten, Dense, Dropout
from keras.optimizers import SGD

NUM_CLASSES = 10
IMG_ROWS, IMG_COLS, CHANNELS = 32, 32, 3
BATCH_SIZE = 8
EPOCHS = 1
WEIGHT_DECAY = 5e-4

BLOCKS = [(64, 2), (128, 2), (256, 3)]


def build_vgg(input_shape, n_classes, blocks=BLOCKS):
    model = Sequential()
    first = True
    for filters, n_convs in blocks:
        for i in range(n_convs):
            if first:
                model.add(Conv2D(filters, (3, 3), padding='same',
                                 kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY),
                                 input_shape=input_shape))
                first = False
            else:
                model.add(Conv2D(filters, (3, 3), padding='same',
                                 kernel_regularizer=keras.regularizers.l2(WEIGHT_DECAY)))
            model.add(BatchNormalization())
            model.add(Activation('relu'))
        model.add(MaxPooling2D(pool_size=(2, 2)))
        model.add(Dropout(0.25))

    model.add(Flatten())
    model.add(Dense(512))
    model.add(BatchNormalization())
    model.add(Activation('relu'))
    model.add(Dropout(0.5))
    model.add(Dense(n_classes))
    model.add(Activation('softmax'))
    return model


# fake CIFAR data
x_train = np.random.rand(32, IMG_ROWS, IMG_COLS, CHANNELS).astype('float32')
y_train = np.random.randint(0, NUM_CLASSES, size=(32, 1))
x_test = np.random.rand(16, IMG_ROWS, IMG_COLS, CHANNELS).astype('float32')
y_test = np.random.randint(0, NUM_CLASSES, size=(16, 1))

# normalize like the tutorials do
mean = np.mean(x_train, axis=(0, 1, 2, 3))
std = np.std(x_train, axis=(0, 1, 2, 3))
x_train = (x_train - mean) / (std + 1e-7)
x_test = (x_test - mean) / (std + 1e-7)

y_train = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test = keras.utils.to_categorical(y_test, NUM_CLASSES)
print('x_train shape:', x_train.shape)
print('y_train shape:', y_train.shape)

model = build_vgg(x_train.shape[1:], NUM_CLASSES)
model.summary()

opt = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=opt, metrics=['accuracy'])

history = model.fit(x_train, y_train,
                    batch_size=BATCH_SIZE,
                    epochs=EPOCHS,
                    validation_data=(x_test, y_test),
                    shuffle=True,
                    verbose=2)

scores = model.evaluate(x_test, y_test, verbose=0)
print('Test loss:', scores[0])
print('Test accuracy:', scores[1])

preds = model.predict(x_test[:4], verbose=0)
print('pred classes:', np.argmax(preds, axis=1), preds.shape)

# peek at intermediate feature maps after each pooling stage
pool_outputs = [layer.output for layer in model.layers if isinstance(layer, MaxPooling2D)]
feature_extractor = keras.Model(inputs=model.inputs, outputs=pool_outputs)
feats = feature_extractor.predict(x_test[:2], verbose=0)
for f in feats:
    print('feature map:', f.shape)
