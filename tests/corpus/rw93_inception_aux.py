"""Mini-GoogLeNet with auxiliary classifiers (deep supervision).

GoogLeNet attaches two auxiliary softmax heads to intermediate inception blocks
and adds their loss with weight 0.3 during training. At inference time only the
main head is used, so we build a second Model that re-uses the same graph but
exposes just the final output.

Outputs are passed as a *list*, so losses / loss_weights are lists as well.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

NUM_CLASSES = 10
INPUT_SHAPE = (32, 32, 3)
AUX_WEIGHT = 0.3


def inception_module(x, f1, f3r, f3, f5r, f5, fpool, name):
    """Classic 4-branch inception block; output channels = f1 + f3 + f5 + fpool."""
    b1 = L.Conv2D(f1, 1, padding="same", activation="relu", name=f"{name}_1x1")(x)

    b2 = L.Conv2D(f3r, 1, padding="same", activation="relu", name=f"{name}_3x3_reduce")(x)
    b2 = L.Conv2D(f3, 3, padding="same", activation="relu", name=f"{name}_3x3")(b2)

    b3 = L.Conv2D(f5r, 1, padding="same", activation="relu", name=f"{name}_5x5_reduce")(x)
    b3 = L.Conv2D(f5, 5, padding="same", activation="relu", name=f"{name}_5x5")(b3)

    b4 = L.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    b4 = L.Conv2D(fpool, 1, padding="same", activation="relu", name=f"{name}_pool_proj")(b4)

    return L.Concatenate(axis=-1, name=f"{name}_concat")([b1, b2, b3, b4])


def aux_classifier(x, name):
    # paper: 5x5 avg pool stride 3 -> 1x1 conv 128 -> fc 1024 -> dropout 0.7 -> softmax
    # scaled down for 8x8 feature maps
    a = L.AveragePooling2D(pool_size=3, strides=2, name=f"{name}_avgpool")(x)
    a = L.Conv2D(32, 1, activation="relu", name=f"{name}_conv")(a)
    a = L.Flatten(name=f"{name}_flatten")(a)
    a = L.Dense(128, activation="relu", name=f"{name}_fc")(a)
    a = L.Dropout(0.7, name=f"{name}_dropout")(a)
    return L.Dense(NUM_CLASSES, activation="softmax", name=name)(a)


def build_googlenet_mini():
    inputs = keras.Input(shape=INPUT_SHAPE)
    x = L.Conv2D(32, 3, padding="same", activation="relu", name="stem_conv")(inputs)
    x = L.MaxPooling2D(2, name="stem_pool")(x)  # 16x16

    x = inception_module(x, 16, 16, 24, 4, 8, 8, name="inc3a")     # 56 ch
    x = inception_module(x, 24, 24, 32, 8, 16, 16, name="inc3b")   # 88 ch
    x = L.MaxPooling2D(2, name="pool3")(x)  # 8x8

    x = inception_module(x, 32, 24, 40, 8, 16, 16, name="inc4a")   # 104 ch
    aux1 = aux_classifier(x, name="aux1")

    x = inception_module(x, 32, 32, 48, 8, 16, 16, name="inc4b")
    x = inception_module(x, 40, 32, 56, 8, 16, 16, name="inc4c")
    aux2 = aux_classifier(x, name="aux2")

    x = inception_module(x, 48, 32, 64, 8, 24, 24, name="inc4d")
    x = L.GlobalAveragePooling2D(name="gap")(x)
    x = L.Dropout(0.4, name="final_dropout")(x)
    main = L.Dense(NUM_CLASSES, activation="softmax", name="main")(x)

    train_model = keras.Model(inputs, [main, aux1, aux2], name="googlenet_mini_train")
    infer_model = keras.Model(inputs, main, name="googlenet_mini_infer")
    return train_model, infer_model


def main():
    n = 192
    x = np.random.rand(n, *INPUT_SHAPE).astype("float32")
    y = keras.utils.to_categorical(np.random.randint(0, NUM_CLASSES, n), NUM_CLASSES)

    train_model, infer_model = build_googlenet_mini()
    print("train outputs:", [t.shape for t in train_model.outputs])
    print("params:", train_model.count_params(), "(infer:", infer_model.count_params(), ")")

    train_model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True),
        loss=["categorical_crossentropy"] * 3,
        loss_weights=[1.0, AUX_WEIGHT, AUX_WEIGHT],
        metrics=[["accuracy"], [], []],
    )

    # same label for every head
    train_model.fit(
        x,
        [y, y, y],
        batch_size=32,
        epochs=1,
        validation_split=0.25,
        verbose=2,
    )

    # the inference model shares layers, so it is already trained
    infer_model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    loss, acc = infer_model.evaluate(x[:64], y[:64], verbose=0)
    print(f"main-head only: loss={loss:.4f} acc={acc:.3f}")

    # sanity check: identical predictions from both models for the main head
    p_train = train_model(x[:4], training=False)[0]
    p_infer = infer_model(x[:4], training=False)
    np.testing.assert_allclose(p_train.numpy(), p_infer.numpy(), rtol=1e-5, atol=1e-6)
    print("main head predictions match between train/infer graphs")


if __name__ == "__main__":
    main()
