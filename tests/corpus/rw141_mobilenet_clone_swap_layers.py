"""Layer surgery on keras.applications.MobileNet:

1. clone_model + clone_function to swap every ReLU(6) for hard-swish and change
   the classifier dropout rate, then copy the original weights across.
2. Walk the (linear) layer list and rebuild the graph with a SpatialDropout2D
   inserted after every pointwise block, plus an auxiliary head tapped off the
   middle of the network.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

INPUT = (32, 32, 3)
CLASSES = 5
ALPHA = 0.25
FREEZE_UNTIL = "conv_pw_6_hswish"   # everything up to and including this stays frozen
AUX_TAP = "conv_pw_7_hswish"    # names after the swap below


def base_model():
    return keras.applications.MobileNet(
        input_shape=INPUT, alpha=ALPHA, include_top=True, weights=None,
        classes=CLASSES, dropout=0.5, classifier_activation="softmax",
    )


def swap_activations(layer):
    cfg = layer.get_config()
    if isinstance(layer, layers.ReLU):
        return layers.Activation("hard_swish", name=cfg["name"].replace("relu", "hswish"))
    if isinstance(layer, layers.Dropout):
        cfg["rate"] = 0.2
        return layers.Dropout.from_config(cfg)
    return layer.__class__.from_config(cfg)


def insert_after(model, predicate, factory):
    """Rebuild a chain-structured functional model, inserting factory(layer)
    after every layer where predicate(layer) is True."""
    inp = keras.Input(model.input.shape[1:], name="surgery_input")
    x = inp
    taps = {}
    for layer in model.layers[1:]:
        x = layer(x)
        taps[layer.name] = x
        if predicate(layer):
            x = factory(layer)(x)
    return inp, x, taps


def layer_kinds(model):
    kinds = {}
    for l in model.layers:
        kinds[type(l).__name__] = kinds.get(type(l).__name__, 0) + 1
    return dict(sorted(kinds.items(), key=lambda kv: -kv[1]))


original = base_model()
print("original:", layer_kinds(original))

swapped = keras.models.clone_model(original, clone_function=swap_activations)
swapped.set_weights(original.get_weights())
print("swapped: ", layer_kinds(swapped))

probe = np.random.default_rng(0).uniform(0, 255, (4, *INPUT)).astype("float32")
probe = keras.applications.mobilenet.preprocess_input(probe)
# with random init the softmax is ~uniform, so compare an early feature map instead
feat_orig = keras.Model(original.input, original.get_layer("conv_pw_2_relu").output)
feat_swap = keras.Model(swapped.input, swapped.get_layer("conv_pw_2_hswish").output)
f0, f1 = feat_orig.predict(probe, verbose=0), feat_swap.predict(probe, verbose=0)
print(f"conv_pw_2 features {f0.shape}: mean |relu6 - hswish| = {np.abs(f0 - f1).mean():.4g}")
same_kernels = all(np.array_equal(a, b) for a, b in zip(original.get_weights(), swapped.get_weights()))
print("weights copied exactly:", same_kernels)

# --- part 2: insert dropout after pointwise blocks + auxiliary head --------------
inp, main_out, taps = insert_after(
    swapped,
    predicate=lambda l: l.name.startswith("conv_pw_") and l.name.endswith("_hswish"),
    factory=lambda l: layers.SpatialDropout2D(0.1, name=f"{l.name}_sdrop"),
)
aux = layers.GlobalAveragePooling2D(name="aux_gap")(taps[AUX_TAP])
aux_out = layers.Dense(CLASSES, activation="softmax", name="aux")(aux)
surgery = keras.Model(inp, {"main": main_out, "aux": aux_out}, name="mobilenet_surgery")

frozen_names = []
for layer in surgery.layers:
    frozen_names.append(layer.name)
    layer.trainable = False
    if layer.name == FREEZE_UNTIL:
        break
print(f"froze {len(frozen_names)} layers, last frozen: {frozen_names[-1]}")
n_sdrop = sum(isinstance(l, layers.SpatialDropout2D) for l in surgery.layers)
print(f"surgery model: {len(surgery.layers)} layers, {n_sdrop} SpatialDropout2D inserted")

# --- brief training on synthetic data ---------------------------------------------
rng = np.random.default_rng(1)
n = 192
y = rng.integers(0, CLASSES, n)
x = rng.normal(0, 0.3, (n, *INPUT)).astype("float32")
x[np.arange(n), :, :, y % 3] += (y[:, None, None] / CLASSES).astype("float32")  # label-dependent channel shift
targets = {"main": y, "aux": y}

surgery.compile(
    optimizer=keras.optimizers.RMSprop(1e-3),
    loss={"main": "sparse_categorical_crossentropy", "aux": "sparse_categorical_crossentropy"},
    loss_weights={"main": 1.0, "aux": 0.3},
    metrics={"main": "accuracy", "aux": "accuracy"},
)
surgery.fit(x, targets, batch_size=32, epochs=2, validation_split=0.2, verbose=2)

# the original model's weights are shared with `swapped`? no - clone_model makes new ones
w0 = original.get_layer("conv_pw_13").kernel.numpy()
w1 = swapped.get_layer("conv_pw_13").kernel.numpy()
print("clone shares variables with original:", original.get_layer("conv_pw_13").kernel is swapped.get_layer("conv_pw_13").kernel)
print("pw_13 kernel drift after training:", float(np.abs(w0 - w1).mean()))
