"""Layer names built with f-strings, %-formatting and str.format; feature extraction by name."""
import numpy as np
import keras
from keras import layers

NUM_BLOCKS = 3
CONVS_PER_BLOCK = 2
BASE = 8

inputs = keras.Input(shape=(40, 40, 3), name="input_image")
x = inputs
for b in range(1, NUM_BLOCKS + 1):
    for c in range(1, CONVS_PER_BLOCK + 1):
        x = layers.Conv2D(BASE * b, 3, padding="same", activation="relu",
                          name="block%d_conv%d" % (b, c))(x)
    x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)

x = layers.Flatten(name="flatten")(x)
for i, units in enumerate([64, 32]):
    x = layers.Dense(units, activation="relu", name="fc_{}".format(i + 1))(x)
    x = layers.Dropout(0.25, name="drop_{}".format(i + 1))(x)
preds = layers.Dense(6, activation="softmax", name="predictions")(x)
model = keras.Model(inputs, preds, name="mini_vgg")

# Grab intermediate activations by layer name (Grad-CAM / feature-visualisation style)
layer_names = [f"block{b}_conv{CONVS_PER_BLOCK}" for b in range(1, NUM_BLOCKS + 1)]
outputs = [model.get_layer(name).output for name in layer_names]
activation_model = keras.Model(inputs=model.input, outputs=outputs)
acts = activation_model.predict(np.random.rand(2, 40, 40, 3), verbose=0)

last_conv = model.get_layer("block3_conv2")
grad_model = keras.Model(model.inputs, [last_conv.output, model.output])
conv_out, pred_out = grad_model(np.random.rand(1, 40, 40, 3).astype("float32"))

# a new head on top of a named layer
feat = model.get_layer("fc_1").output
new_head = layers.Dense(2, activation="softmax", name="new_head")(feat)
transfer = keras.Model(model.input, new_head)
transfer_out = transfer(np.zeros((3, 40, 40, 3), dtype="float32"))
