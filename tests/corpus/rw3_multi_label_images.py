"""Multi-label image tagging with transfer learning (frozen base -> fine-tune).

Each image can carry several tags at once, so the head is a sigmoid layer and
the loss is binary cross-entropy. Random weights/data for the smoke test.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.applications import MobileNetV2, EfficientNetB0

IMG_SIZE = 64
NUM_LABELS = 6
LABELS = ['sky', 'water', 'tree', 'person', 'car', 'building']
N_IMAGES = 16
BATCH_SIZE = 8
FINE_TUNE_LAST = 20
THRESHOLD = 0.5

rng = np.random.default_rng(123)
images = rng.integers(0, 256, size=(N_IMAGES, IMG_SIZE, IMG_SIZE, 3)).astype('float32')
# multi-hot targets, at least one tag per image
targets = (rng.random((N_IMAGES, NUM_LABELS)) > 0.6).astype('float32')
targets[np.arange(N_IMAGES), rng.integers(0, NUM_LABELS, N_IMAGES)] = 1.0
print('images', images.shape, 'targets', targets.shape, 'avg tags/img', targets.sum(1).mean())


def build_model(backbone='mobilenet'):
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3))
    if backbone == 'mobilenet':
        x = layers.Rescaling(1. / 127.5, offset=-1)(inputs)
        base_model = MobileNetV2(input_shape=(IMG_SIZE, IMG_SIZE, 3),
                                 include_top=False, weights=None, alpha=0.35)
    else:
        # EfficientNet does its own rescaling internally
        x = inputs
        base_model = EfficientNetB0(input_shape=(IMG_SIZE, IMG_SIZE, 3),
                                    include_top=False, weights=None)
    base_model.trainable = False
    x = base_model(x, training=False)
    print(backbone, 'feature map:', x.shape)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_LABELS, activation='sigmoid')(x)
    return keras.Model(inputs, outputs), base_model


def compile_model(model, lr):
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
                  loss='binary_crossentropy',
                  metrics=[keras.metrics.BinaryAccuracy(threshold=THRESHOLD),
                           keras.metrics.AUC(multi_label=True, num_labels=NUM_LABELS,
                                             name='auc')])


def n_trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


# ----- stage 1: train only the head on a frozen MobileNetV2 ----------------
model, base_model = build_model('mobilenet')
compile_model(model, 1e-3)
print('trainable params (frozen base):', n_trainable(model))
model.fit(images, targets, batch_size=BATCH_SIZE, epochs=1, verbose=2)

# ----- stage 2: unfreeze the top of the base and fine tune -----------------
base_model.trainable = True
for layer in base_model.layers[:-FINE_TUNE_LAST]:
    layer.trainable = False
for layer in base_model.layers[-20:]:
    layer.trainable = True
print('base layers:', len(base_model.layers),
      'trainable now:', sum(l.trainable for l in base_model.layers))
compile_model(model, 1e-5)   # must recompile after changing trainable
print('trainable params (fine-tune):', n_trainable(model))
model.fit(images, targets, batch_size=BATCH_SIZE, epochs=1, verbose=2)

probs = model.predict(images[:4], verbose=0)
pred_tags = probs > THRESHOLD
for i in range(pred_tags.shape[0]):
    tags = [LABELS[j] for j in np.where(pred_tags[i])[0]]
    print('img', i, 'probs', np.round(probs[i], 2), '->', tags)

# ----- same head on EfficientNetB0 (just a forward pass) --------------------
eff_model, eff_base = build_model('efficientnet')
eff_out = eff_model(images[:2], training=False)
print('EfficientNetB0 head output:', eff_out.shape,
      'base trainable:', eff_base.trainable, 'layers:', len(eff_base.layers))
