# VGG-ish CIFAR-10 classifier, written the way lots of 2018 blog posts did it.
import numpy as np
from keras.models import *
from keras.layers import *
from keras.optimizers import SGD
from keras.utils import to_categorical

NB_CLASSES = 10
IMG_CHANNELS = 3
IMG_ROWS = 32
IMG_COLS = 32
BATCH_SIZE = 16

X_train = np.random.rand(32, IMG_ROWS, IMG_COLS, IMG_CHANNELS)
y_train = np.random.randint(NB_CLASSES, size=(32, 1))
X_train = X_train.astype('float32')
Y_train = to_categorical(y_train, NB_CLASSES)

model = Sequential()
model.add(Conv2D(32, (3, 3), padding='same', input_shape=(IMG_ROWS, IMG_COLS, IMG_CHANNELS)))
model.add(BatchNormalization())
model.add(Activation('relu'))
model.add(Conv2D(32, (3, 3)))
model.add(BatchNormalization())
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2)))
model.add(Dropout(0.25))

model.add(ZeroPadding2D((1, 1)))
model.add(Conv2D(64, (3, 3)))
model.add(Activation('relu'))
model.add(Conv2D(64, 3, 3 // 2 + 1))
model.add(Activation('relu'))
model.add(MaxPooling2D(pool_size=(2, 2), strides=(1, 1)))
model.add(Dropout(0.25))

model.add(Flatten())
model.add(Dense(512))
model.add(Activation('relu'))
model.add(Dropout(0.5))
model.add(Dense(NB_CLASSES))
model.add(Activation('softmax'))
model.summary()

sgd = SGD(learning_rate=0.01, momentum=0.9, nesterov=True)
model.compile(loss='categorical_crossentropy', optimizer=sgd, metrics=['accuracy'])
history = model.fit(X_train, Y_train, batch_size=BATCH_SIZE, epochs=1, verbose=0)

# functional re-use of the trained layers as a feature extractor
feature_model = Model(inputs=model.inputs, outputs=model.layers[-4].output)
features = feature_model.predict(X_train[:4], verbose=0)
