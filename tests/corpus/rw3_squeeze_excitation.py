"""SE-ResNet (Squeeze-and-Excitation Networks, Hu et al.) -- tiny CIFAR-sized version."""
import numpy as np
from tensorflow.keras import layers, models
from tensorflow.keras import backend as K
from tensorflow.keras.utils import to_categorical
from tensorflow.keras.regularizers import l2

INPUT_SHAPE = (32, 32, 3)
NUM_CLASSES = 10
RATIO = 8
WEIGHT_DECAY = 1e-4
STAGES = [(16, 1), (32, 2), (64, 2)]   # (filters, first stride)
BLOCKS_PER_STAGE = 2


def squeeze_excite_block(tensor, ratio=RATIO):
    init = tensor
    filters = K.int_shape(init)[-1]
    se_shape = (1, 1, filters)

    se = layers.GlobalAveragePooling2D()(init)
    se = layers.Reshape(se_shape)(se)
    se = layers.Dense(filters // ratio, activation='relu',
                      kernel_initializer='he_normal', use_bias=False)(se)
    se = layers.Dense(filters, activation='sigmoid',
                      kernel_initializer='he_normal', use_bias=False)(se)
    x = layers.multiply([init, se])
    return x


def se_resnet_block(x, filters, stride=1, block_name='blk'):
    in_channels = x.shape[-1]
    shortcut = x

    y = layers.Conv2D(filters, 3, strides=stride, padding='same', use_bias=False,
                      kernel_initializer='he_normal', kernel_regularizer=l2(WEIGHT_DECAY),
                      name=block_name + '_conv1')(x)
    y = layers.BatchNormalization(name=block_name + '_bn1')(y)
    y = layers.Activation('relu')(y)
    y = layers.Conv2D(filters, 3, padding='same', use_bias=False,
                      kernel_initializer='he_normal', kernel_regularizer=l2(WEIGHT_DECAY),
                      name=block_name + '_conv2')(y)
    y = layers.BatchNormalization(name=block_name + '_bn2')(y)

    y = squeeze_excite_block(y)

    # projection shortcut when the shape changes
    if stride != 1 or in_channels != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, padding='same', use_bias=False,
                                 kernel_initializer='he_normal',
                                 name=block_name + '_proj')(shortcut)
        shortcut = layers.BatchNormalization(name=block_name + '_proj_bn')(shortcut)

    out = layers.add([y, shortcut])
    out = layers.Activation('relu')(out)
    return out


def SEResNet(input_shape=INPUT_SHAPE, classes=NUM_CLASSES):
    img_input = layers.Input(shape=input_shape)
    x = layers.Conv2D(16, 3, padding='same', use_bias=False,
                      kernel_initializer='he_normal')(img_input)
    x = layers.BatchNormalization()(x)
    x = layers.Activation('relu')(x)

    for stage_idx, (filters, stride) in enumerate(STAGES):
        for block_idx in range(BLOCKS_PER_STAGE):
            s = stride if block_idx == 0 else 1
            x = se_resnet_block(x, filters, stride=s,
                                block_name='stage%d_block%d' % (stage_idx + 1, block_idx + 1))
        print('after stage', stage_idx + 1, K.int_shape(x))

    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(classes, activation='softmax')(x)
    return models.Model(img_input, x, name='se_resnet_tiny')


model = SEResNet()
model.summary(line_length=110)
model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])

x_train = np.random.randint(0, 256, size=(32,) + INPUT_SHAPE).astype('float32')
y_train = to_categorical(np.random.randint(0, NUM_CLASSES, size=32), NUM_CLASSES)
mean = np.mean(x_train, axis=(0, 1, 2))
std = np.std(x_train, axis=(0, 1, 2))
x_train = (x_train - mean) / (std + 1e-7)

model.fit(x_train, y_train, batch_size=16, epochs=1, verbose=2)

# sanity check: one SE block in isolation keeps the shape
probe_in = layers.Input(shape=(8, 8, 48))
probe = models.Model(probe_in, squeeze_excite_block(probe_in, ratio=4))
out = probe.predict(np.random.rand(2, 8, 8, 48).astype('float32'), verbose=0)
print('SE probe output:', out.shape)

preds = model.predict(x_train[:4], verbose=0)
print('predictions:', preds.shape, preds.argmax(-1))
