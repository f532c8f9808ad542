# GoogLeNet-ish network with naive "inception v1" modules and an auxiliary
# classifier head. Small input (64x64) so it trains on CPU for a smoke test.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models, optimizers
from tensorflow.keras.utils import to_categorical

IMG_SIZE = 64
CHANNELS = 3
NUM_CLASSES = 5
N_SAMPLES = 24
BATCH = 8

kernel_init = tf.keras.initializers.glorot_uniform()
bias_init = tf.keras.initializers.Constant(value=0.2)


def inception_module(x, filters_1x1, filters_3x3_reduce, filters_3x3,
                     filters_5x5_reduce, filters_5x5, filters_pool_proj, name=None):
    conv_1x1 = layers.Conv2D(filters_1x1, (1, 1), padding='same', activation='relu',
                             kernel_initializer=kernel_init, bias_initializer=bias_init)(x)

    conv_3x3 = layers.Conv2D(filters_3x3_reduce, (1, 1), padding='same', activation='relu',
                             kernel_initializer=kernel_init, bias_initializer=bias_init)(x)
    conv_3x3 = layers.Conv2D(filters_3x3, (3, 3), padding='same', activation='relu',
                             kernel_initializer=kernel_init, bias_initializer=bias_init)(conv_3x3)

    conv_5x5 = layers.Conv2D(filters_5x5_reduce, (1, 1), padding='same', activation='relu',
                             kernel_initializer=kernel_init, bias_initializer=bias_init)(x)
    conv_5x5 = layers.Conv2D(filters_5x5, (5, 5), padding='same', activation='relu',
                             kernel_initializer=kernel_init, bias_initializer=bias_init)(conv_5x5)

    pool_proj = layers.MaxPool2D((3, 3), strides=(1, 1), padding='same')(x)
    pool_proj = layers.Conv2D(filters_pool_proj, (1, 1), padding='same', activation='relu',
                              kernel_initializer=kernel_init, bias_initializer=bias_init)(pool_proj)

    output = layers.concatenate([conv_1x1, conv_3x3, conv_5x5, pool_proj], axis=3, name=name)
    return output


def aux_classifier(x, n_classes, name):
    a = layers.AveragePooling2D((5, 5), strides=3)(x)
    a = layers.Conv2D(32, (1, 1), padding='same', activation='relu')(a)
    a = layers.Flatten()(a)
    a = layers.Dense(128, activation='relu')(a)
    a = layers.Dropout(0.7)(a)
    return layers.Dense(n_classes, activation='softmax', name=name)(a)


# (name, 1x1, 3x3red, 3x3, 5x5red, 5x5, poolproj) -- scaled down ~1/4
STAGE3 = [('inception_3a', 16, 24, 32, 4, 8, 8),
          ('inception_3b', 32, 32, 48, 8, 24, 16)]
STAGE4 = [('inception_4a', 48, 24, 52, 4, 12, 16),
          ('inception_4b', 40, 28, 56, 6, 16, 16)]

input_layer = layers.Input(shape=(IMG_SIZE, IMG_SIZE, CHANNELS))

x = layers.Conv2D(32, (7, 7), padding='same', strides=(2, 2), activation='relu',
                  name='conv_1_7x7_2', kernel_initializer=kernel_init,
                  bias_initializer=bias_init)(input_layer)
x = layers.MaxPool2D((3, 3), padding='same', strides=(2, 2), name='max_pool_1_3x3_2')(x)
x = layers.Conv2D(48, (1, 1), padding='same', strides=(1, 1), activation='relu',
                  name='conv_2a_3x3_1')(x)
x = layers.Conv2D(96, (3, 3), padding='same', strides=(1, 1), activation='relu',
                  name='conv_2b_3x3_1')(x)

for cfg in STAGE3:
    x = inception_module(x, *cfg[1:], name=cfg[0])
x = layers.MaxPool2D((3, 3), padding='same', strides=(2, 2), name='max_pool_3_3x3_2')(x)

for i, cfg in enumerate(STAGE4):
    x = inception_module(x, *cfg[1:], name=cfg[0])
    if i == 0:
        aux_out = aux_classifier(x, NUM_CLASSES, name='auxilliary_output_1')

x = layers.GlobalAveragePooling2D(name='avg_pool_5_3x3_1')(x)
x = layers.Dropout(0.4)(x)
main_out = layers.Dense(NUM_CLASSES, activation='softmax', name='output')(x)

model = models.Model(input_layer, [main_out, aux_out], name='inception_v1_small')
model.summary()

for layer in model.layers:
    if layer.name.startswith('inception_'):
        print(layer.name, layer.output.shape)

sgd = optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=False)
model.compile(loss=['categorical_crossentropy', 'categorical_crossentropy'],
              loss_weights=[1, 0.3], optimizer=sgd, metrics=['accuracy', 'accuracy'])

X = np.random.rand(N_SAMPLES, IMG_SIZE, IMG_SIZE, CHANNELS).astype('float32')
y = to_categorical(np.random.randint(0, NUM_CLASSES, N_SAMPLES), NUM_CLASSES)

history = model.fit(X, [y, y], validation_split=0.25, epochs=1, batch_size=BATCH, verbose=2)
print(sorted(history.history.keys()))

main_pred, aux_pred = model.predict(X[:4], verbose=0)
print('main:', main_pred.shape, 'aux:', aux_pred.shape)

results = model.evaluate(X, [y, y], verbose=0)
print('evaluate ->', np.round(results, 4))
