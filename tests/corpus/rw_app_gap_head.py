"""Transfer-learning heads on keras.applications backbones (weights=None: no download)."""
import numpy as np
import tensorflow as tf
from tensorflow.keras.applications import MobileNetV2
from tensorflow.keras.layers import Dense, GlobalAveragePooling2D, Dropout, Input, BatchNormalization
from tensorflow.keras.models import Model

IMG_SIZE = 64
NUM_CLASSES = 5

base_model = MobileNetV2(input_shape=(IMG_SIZE, IMG_SIZE, 3), alpha=0.35,
                         include_top=False, weights=None)
base_model.trainable = False

x = base_model.output
x = GlobalAveragePooling2D()(x)
x = Dense(128, activation='relu')(x)
x = Dropout(0.2)(x)
predictions = Dense(NUM_CLASSES, activation='softmax')(x)
model = Model(inputs=base_model.input, outputs=predictions)
model.compile(optimizer='adam', loss='categorical_crossentropy')

# second style: Input -> preprocess -> base(training=False)
inputs = Input(shape=(IMG_SIZE, IMG_SIZE, 3))
y = tf.keras.applications.mobilenet_v2.preprocess_input(inputs)
y = base_model(y, training=False)
y = GlobalAveragePooling2D()(y)
y = BatchNormalization()(y)
outputs = Dense(1)(y)
binary_model = Model(inputs, outputs)

# third style: pooling='avg' on the backbone itself
backbone = tf.keras.applications.MobileNetV2(
    include_top=False, weights=None, alpha=0.35,
    input_shape=(IMG_SIZE, IMG_SIZE, 3), pooling='avg')
emb = Dense(32, name='embedding')(backbone.output)
embedder = Model(backbone.input, emb)

batch = np.random.rand(2, IMG_SIZE, IMG_SIZE, 3).astype('float32')
probs = model(batch)
logit = binary_model(batch)
vectors = embedder(batch)
