"""Intermediate-layer feature extraction & layer freezing, Keras 2 style.

Things I always forget the syntax for, collected in one place:
  - Model(inputs=model.input, outputs=model.get_layer('name').output)
  - grabbing model.layers[-k].output to chop the classifier head off
  - freezing everything up to a named layer, then re-compiling
  - the old K.function([model.input], [layer.output]) trick replaced by a
    multi-output extractor model
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras.layers import (Activation, BatchNormalization, Conv2D,
                                     Dense, Dropout, Flatten,
                                     GlobalAveragePooling2D, Input,
                                     MaxPooling2D)
from tensorflow.keras.models import Model

IMG_ROWS, IMG_COLS, CHANNELS = 28, 28, 1
NUM_CLASSES = 10
BATCH_SIZE = 64


def conv_block(x, filters, block):
    x = Conv2D(filters, (3, 3), padding="same", name="block%d_conv1" % block)(x)
    x = BatchNormalization(name="block%d_bn1" % block)(x)
    x = Activation("relu", name="block%d_relu1" % block)(x)
    x = Conv2D(filters, (3, 3), padding="same", name="block%d_conv2" % block)(x)
    x = Activation("relu", name="block%d_relu2" % block)(x)
    x = MaxPooling2D((2, 2), name="block%d_pool" % block)(x)
    return x


def small_vgg(input_shape, num_classes):
    img_input = Input(shape=input_shape, name="image")
    x = conv_block(img_input, 16, block=1)
    x = conv_block(x, 32, block=2)
    x = conv_block(x, 32, block=3)
    x = Flatten(name="flatten")(x)
    x = Dense(64, activation="relu", name="fc1")(x)
    x = Dropout(0.3, name="drop1")(x)
    x = Dense(32, activation="relu", name="fc2")(x)
    x = Dense(num_classes, activation="softmax", name="predictions")(x)
    return Model(img_input, x, name="small_vgg")


def load_fake_mnist(n):
    x = np.random.rand(n, IMG_ROWS, IMG_COLS, CHANNELS).astype("float32")
    y = np.random.randint(0, NUM_CLASSES, size=(n,))
    return x, keras.utils.to_categorical(y, NUM_CLASSES)


np.random.seed(7)
x_train, y_train = load_fake_mnist(512)
x_new, y_new = load_fake_mnist(128)

# ---------------------------------------------------------------------------
# 1. "pretrain" the base model
# ---------------------------------------------------------------------------
base = small_vgg((IMG_ROWS, IMG_COLS, CHANNELS), NUM_CLASSES)
base.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
base.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=1,
         validation_split=0.2, verbose=2)

# ---------------------------------------------------------------------------
# 2. feature extractors from intermediate layers
# ---------------------------------------------------------------------------
fc1_model = Model(inputs=base.input, outputs=base.get_layer("fc1").output)
fc1_feats = fc1_model.predict(x_new, verbose=0)
print("fc1 features:", fc1_feats.shape)

# penultimate layer via negative index (predictions is layers[-1])
penultimate = Model(base.input, base.layers[-2].output, name="penultimate")
print("layers[-2] is", base.layers[-2].name, "->", penultimate.output_shape)

# several intermediate activations at once, replaces the old
# K.function([model.layers[0].input, K.learning_phase()], [...]) idiom
layer_names = [l.name for l in base.layers if l.name.endswith("_pool")]
activation_model = Model(inputs=base.input,
                         outputs=[base.get_layer(n).output for n in layer_names])
activations = activation_model.predict(x_new[:4], verbose=0)
for name, act in zip(layer_names, activations):
    # mean activation per channel, the usual "which filters fire" check
    per_channel = K.mean(K.constant(act), axis=(0, 1, 2))
    print("  %-12s %-20s max channel mean=%.4f"
          % (name, str(act.shape), float(K.max(per_channel))))

# dict-style outputs work as well in Keras 3
named_extractor = Model(base.input,
                        {"conv": base.get_layer("block3_conv2").output,
                         "dense": base.get_layer("fc2").output})
out = named_extractor(x_new[:2], training=False)
print("dict extractor:", {k: tuple(v.shape) for k, v in out.items()})

# ---------------------------------------------------------------------------
# 3. transfer: new head on top of layers[-4] (flatten), freeze by name
# ---------------------------------------------------------------------------
NEW_CLASSES = 4
feat = base.layers[-5].output  # output of 'flatten'
print("cutting at:", base.layers[-5].name, K.int_shape(feat))
x = Dense(48, activation="relu", name="new_fc")(feat)
x = Dropout(0.2, name="new_drop")(x)
new_out = Dense(NEW_CLASSES, activation="softmax", name="new_predictions")(x)
transfer = Model(base.input, new_out, name="transfer")

# freeze everything up to and including block2
set_trainable = False
for layer in transfer.layers:
    if layer.name == "block3_conv1":
        set_trainable = True
    layer.trainable = set_trainable

# BatchNorm layers stay frozen even when their block is unfrozen
for layer in transfer.layers:
    if isinstance(layer, BatchNormalization):
        layer.trainable = False

frozen = [l.name for l in transfer.layers if not l.trainable and l.weights]
print("frozen layers with weights:", frozen)
print("trainable weights: %d, non-trainable: %d"
      % (len(transfer.trainable_weights), len(transfer.non_trainable_weights)))

y_new_small = keras.utils.to_categorical(np.random.randint(0, NEW_CLASSES, 128), NEW_CLASSES)
transfer.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-2, momentum=0.9),
                 loss="categorical_crossentropy", metrics=["accuracy"])

w_before = transfer.get_layer("block1_conv1").get_weights()[0].copy()
transfer.fit(x_new, y_new_small, batch_size=32, epochs=1,
             validation_split=0.25, verbose=2)
w_after = transfer.get_layer("block1_conv1").get_weights()[0]
print("block1_conv1 unchanged after fine-tune:", np.allclose(w_before, w_after))

# shared weights: the base model sees the same kernels
print("shared with base:",
      np.allclose(base.get_layer("block3_conv2").get_weights()[0],
                  transfer.get_layer("block3_conv2").get_weights()[0]))
