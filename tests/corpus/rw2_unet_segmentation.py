"""
Small U-Net for binary segmentation (e.g. nuclei / salt masks).
Adapted from a Kaggle kernel; trimmed so it runs on random data.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from keras.models import Model
from keras.layers import Input, Conv2D, MaxPooling2D, Conv2DTranspose, Dropout, BatchNormalization
from keras.layers import concatenate, Lambda
from keras.optimizers import Adam

IMG_HEIGHT = 32
IMG_WIDTH = 32
IMG_CHANNELS = 3
SMOOTH = 1.


def dice_coef(y_true, y_pred):
    y_true_f = K.flatten(y_true)
    y_pred_f = K.flatten(y_pred)
    intersection = K.sum(y_true_f * y_pred_f)
    return (2. * intersection + SMOOTH) / (K.sum(y_true_f) + K.sum(y_pred_f) + SMOOTH)


def dice_coef_loss(y_true, y_pred):
    return 1. - dice_coef(y_true, y_pred)


def bce_dice_loss(y_true, y_pred):
    return keras.losses.binary_crossentropy(y_true, y_pred) + dice_coef_loss(y_true, y_pred)


def conv_block(x, n_filters, dropout=0.1, batchnorm=True):
    x = Conv2D(n_filters, (3, 3), kernel_initializer='he_normal', padding='same')(x)
    if batchnorm:
        x = BatchNormalization()(x)
    x = keras.layers.Activation('relu')(x)
    x = Dropout(dropout)(x)
    x = Conv2D(n_filters, (3, 3), kernel_initializer='he_normal', padding='same')(x)
    if batchnorm:
        x = BatchNormalization()(x)
    x = keras.layers.Activation('relu')(x)
    return x


def get_unet(input_size=(IMG_HEIGHT, IMG_WIDTH, IMG_CHANNELS), base_filters=8, depth=3):
    inputs = Input(input_size)
    s = Lambda(lambda t: t / 255.0)(inputs)

    skips = []
    x = s
    for d in range(depth):
        x = conv_block(x, base_filters * (2 ** d))
        skips.append(x)
        x = MaxPooling2D((2, 2))(x)

    # bottleneck
    x = conv_block(x, base_filters * (2 ** depth), dropout=0.3)

    for d in reversed(range(depth)):
        u = Conv2DTranspose(base_filters * (2 ** d), (2, 2), strides=(2, 2), padding='same')(x)
        u = concatenate([u, skips[d]])
        x = conv_block(u, base_filters * (2 ** d))

    outputs = Conv2D(1, (1, 1), activation='sigmoid')(x)
    model = Model(inputs=[inputs], outputs=[outputs])
    return model


# ---- fake data ----
N = 12
X_train = np.random.randint(0, 256, size=(N, IMG_HEIGHT, IMG_WIDTH, IMG_CHANNELS)).astype(np.uint8)
Y_train = (np.random.rand(N, IMG_HEIGHT, IMG_WIDTH) > 0.5).astype(np.float32)
Y_train = np.expand_dims(Y_train, axis=-1)
print(X_train.shape, Y_train.shape)

model = get_unet()
model.compile(optimizer=Adam(learning_rate=1e-3), loss=bce_dice_loss, metrics=[dice_coef, 'accuracy'])
model.summary()

results = model.fit(X_train.astype('float32'), Y_train, validation_split=0.25,
                    batch_size=4, epochs=1, verbose=2)

preds_train = model.predict(X_train[:8].astype('float32'), verbose=1)
preds_train_t = (preds_train > 0.5).astype(np.uint8)
print('pred mask shape:', preds_train_t.shape)

# per-image dice in numpy
for i in range(2):
    gt = Y_train[i]
    pr = preds_train_t[i].astype(np.float32)
    inter = np.sum(gt * pr)
    print('img %d dice = %.4f' % (i, (2 * inter + 1) / (gt.sum() + pr.sum() + 1)))

# a version without the Lambda scaling, shallower, grayscale input
small = get_unet(input_size=(32, 32, 1), base_filters=4, depth=2)
small.compile(optimizer='adam', loss=dice_coef_loss)
xs = np.random.rand(8, 32, 32, 1).astype('float32') * 255.
ys = np.random.randint(0, 2, size=(8, 32, 32, 1)).astype('float32')
small.fit(xs, ys, epochs=1, batch_size=4, verbose=0)
print('small unet out:', small.predict(xs, verbose=0).shape)
print('dice (tf):', float(dice_coef(tf.constant(ys), small(xs, training=False))))
