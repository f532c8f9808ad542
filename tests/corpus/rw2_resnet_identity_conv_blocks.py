# -*- coding: utf-8 -*-
"""ResNet50-style building blocks (keras-applications style) on a small 64x64 input.

Only stages 2-4 with reduced widths so it trains quickly on CPU.
"""
from __future__ import print_function

import numpy as np
from keras import layers
from keras.layers import Input, Add, Dense, Activation, ZeroPadding2D, BatchNormalization
from keras.layers import Conv2D, MaxPooling2D, GlobalAveragePooling2D, AveragePooling2D
from keras.models import Model
from keras.utils import to_categorical
from tensorflow.keras import backend as K

bn_axis = 3 if K.image_data_format() == 'channels_last' else 1


def identity_block(input_tensor, kernel_size, filters, stage, block):
    """The identity block is the block that has no conv layer at shortcut.

    # Arguments
        input_tensor: input tensor
        kernel_size: default 3, the kernel size of middle conv layer at main path
        filters: list of integers, the filters of 3 conv layer at main path
        stage: integer, current stage label, used for generating layer names
        block: 'a','b'..., current block label, used for generating layer names
    """
    filters1, filters2, filters3 = filters
    conv_name_base = 'res' + str(stage) + block + '_branch'
    bn_name_base = 'bn' + str(stage) + block + '_branch'

    x = Conv2D(filters1, (1, 1), kernel_initializer='he_normal', name=conv_name_base + '2a')(input_tensor)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2a')(x)
    x = Activation('relu')(x)

    x = Conv2D(filters2, kernel_size, padding='same', kernel_initializer='he_normal',
               name=conv_name_base + '2b')(x)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2b')(x)
    x = Activation('relu')(x)

    x = Conv2D(filters3, (1, 1), kernel_initializer='he_normal', name=conv_name_base + '2c')(x)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2c')(x)

    x = layers.add([x, input_tensor])
    x = Activation('relu')(x)
    return x


def conv_block(input_tensor, kernel_size, filters, stage, block, strides=(2, 2)):
    """A block that has a conv layer at shortcut.

    From stage 3, the first conv layer at main path is with strides=(2,2)
    and the shortcut should have strides=(2,2) as well.
    """
    filters1, filters2, filters3 = filters
    conv_name_base = f'res{stage}{block}_branch'
    bn_name_base = f'bn{stage}{block}_branch'

    x = Conv2D(filters1, (1, 1), strides=strides, kernel_initializer='he_normal',
               name=conv_name_base + '2a')(input_tensor)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2a')(x)
    x = Activation('relu')(x)

    x = Conv2D(filters2, kernel_size, padding='same', kernel_initializer='he_normal',
               name=conv_name_base + '2b')(x)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2b')(x)
    x = Activation('relu')(x)

    x = Conv2D(filters3, (1, 1), kernel_initializer='he_normal', name=conv_name_base + '2c')(x)
    x = BatchNormalization(axis=bn_axis, name=bn_name_base + '2c')(x)

    shortcut = Conv2D(filters3, (1, 1), strides=strides, kernel_initializer='he_normal',
                      name=conv_name_base + '1')(input_tensor)
    shortcut = BatchNormalization(axis=bn_axis, name=bn_name_base + '1')(shortcut)

    x = Add()([x, shortcut])
    x = Activation('relu')(x)
    return x


def MiniResNet50(input_shape=(64, 64, 3), classes=10):
    img_input = Input(shape=input_shape)

    x = ZeroPadding2D(padding=(3, 3), name='conv1_pad')(img_input)
    x = Conv2D(16, (7, 7), strides=(2, 2), padding='valid', kernel_initializer='he_normal',
               name='conv1')(x)
    x = BatchNormalization(axis=bn_axis, name='bn_conv1')(x)
    x = Activation('relu')(x)
    x = ZeroPadding2D(padding=(1, 1), name='pool1_pad')(x)
    x = MaxPooling2D((3, 3), strides=(2, 2))(x)

    x = conv_block(x, 3, [16, 16, 64], stage=2, block='a', strides=(1, 1))
    x = identity_block(x, 3, [16, 16, 64], stage=2, block='b')
    x = identity_block(x, 3, [16, 16, 64], stage=2, block='c')

    x = conv_block(x, 3, [32, 32, 128], stage=3, block='a')
    for b in ['b', 'c']:
        x = identity_block(x, 3, [32, 32, 128], stage=3, block=b)

    x = conv_block(x, 3, [64, 64, 256], stage=4, block='a')
    x = identity_block(x, 3, [64, 64, 256], stage=4, block='b')

    x = GlobalAveragePooling2D(name='avg_pool')(x)
    x = Dense(classes, activation='softmax', name='fc' + str(classes))(x)

    model = Model(img_input, x, name='mini_resnet50')
    return model


# ---- quick training run on random data ----
n_classes = 6
X_train = np.random.rand(16, 64, 64, 3).astype('float32')
Y_train = to_categorical(np.random.randint(n_classes, size=16), n_classes)
X_test = np.random.rand(8, 64, 64, 3).astype('float32')
Y_test = to_categorical(np.random.randint(n_classes, size=8), n_classes)

print("number of training examples = " + str(X_train.shape[0]))
print("X_train shape: " + str(X_train.shape))
print("Y_train shape: " + str(Y_train.shape))

model = MiniResNet50(input_shape=(64, 64, 3), classes=n_classes)
# XLA compile is slow on CPU for this many layers
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'], jit_compile=False)
model.fit(X_train, Y_train, epochs=1, batch_size=8, verbose=2)

preds = model.evaluate(X_test, Y_test, verbose=0)
print("Loss = " + str(preds[0]))
print("Test Accuracy = " + str(preds[1]))

for name in ['conv1', 'res2a_branch2c', 'res3a_branch1', 'res4b_branch2c', 'avg_pool']:
    print(name, model.get_layer(name).output.shape)

# truncated backbone as a feature extractor
backbone = Model(model.input, model.get_layer('res3c_branch2c').output)
f = backbone.predict(X_test[:2], verbose=0)
print('stage3 features', f.shape)
pooled = AveragePooling2D((2, 2))(f)
print('pooled', pooled.shape)
