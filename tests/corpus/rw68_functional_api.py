"""Functional API walkthrough: a multi-input / multi-output ticket classifier.

Adapted from the "Functional API" guide: we rank customer issue tickets by
priority and route them to the right department. The model has three inputs
(title, body text, tags) and two outputs (priority score, department logits),
plus a small shared-layer and residual-block section at the end.
"""
import numpy as np
import keras
from keras import layers

NUM_TAGS = 12
NUM_WORDS = 1000
NUM_DEPARTMENTS = 4
TITLE_LEN = 10
BODY_LEN = 40
NUM_SAMPLES = 256


def build_ticket_model():
    title_input = keras.Input(shape=(None,), name="title")
    body_input = keras.Input(shape=(None,), name="body")
    tags_input = keras.Input(shape=(NUM_TAGS,), name="tags")

    # Embed each word in the title / body into a 64-dimensional vector
    title_features = layers.Embedding(NUM_WORDS, 64)(title_input)
    body_features = layers.Embedding(NUM_WORDS, 64)(body_input)

    # Reduce sequences of embedded words into single vectors
    title_features = layers.LSTM(128)(title_features)
    body_features = layers.LSTM(32)(body_features)

    # Merge all available features into a single large vector via concatenation
    x = layers.concatenate([title_features, body_features, tags_input])

    priority_pred = layers.Dense(1, name="priority")(x)
    department_pred = layers.Dense(NUM_DEPARTMENTS, name="department")(x)

    return keras.Model(
        inputs=[title_input, body_input, tags_input],
        outputs={"priority": priority_pred, "department": department_pred},
    )


def make_dummy_data():
    title_data = np.random.randint(NUM_WORDS, size=(NUM_SAMPLES, TITLE_LEN))
    body_data = np.random.randint(NUM_WORDS, size=(NUM_SAMPLES, BODY_LEN))
    tags_data = np.random.randint(2, size=(NUM_SAMPLES, NUM_TAGS)).astype("float32")
    priority_targets = np.random.random(size=(NUM_SAMPLES, 1))
    dept_targets = np.random.randint(2, size=(NUM_SAMPLES, NUM_DEPARTMENTS))
    return (title_data, body_data, tags_data), (priority_targets, dept_targets)


def build_toy_resnet():
    """The 'toy ResNet' from the guide, shrunk to CIFAR-sized inputs."""
    inputs = keras.Input(shape=(32, 32, 3), name="img")
    x = layers.Conv2D(32, 3, activation="relu")(inputs)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    block_1_output = layers.MaxPooling2D(3)(x)

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_1_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_2_output = layers.add([x, block_1_output])

    x = layers.Conv2D(64, 3, activation="relu", padding="same")(block_2_output)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    block_3_output = layers.add([x, block_2_output])

    x = layers.Conv2D(64, 3, activation="relu")(block_3_output)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(256, activation="relu")(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(10)(x)
    return keras.Model(inputs, outputs, name="toy_resnet")


def shared_embedding_demo():
    # Embedding for 1000 unique words mapped to 128-dimensional vectors
    shared_embedding = layers.Embedding(1000, 128)
    text_input_a = keras.Input(shape=(None,), dtype="int32")
    text_input_b = keras.Input(shape=(None,), dtype="int32")
    encoded_a = shared_embedding(text_input_a)
    encoded_b = shared_embedding(text_input_b)
    print("shared embedding outputs:", encoded_a.shape, encoded_b.shape)


def feature_extraction_demo(model):
    # Reuse the graph of layers to pull out intermediate activations
    features_list = [layer.output for layer in model.layers]
    feat_extraction_model = keras.Model(inputs=model.input, outputs=features_list)
    img = np.random.random((2, 32, 32, 3)).astype("float32")
    extracted = feat_extraction_model(img)
    for layer, feat in list(zip(model.layers, extracted))[:5]:
        print(f"{layer.name:>20s} -> {tuple(feat.shape)}")


def main():
    model = build_ticket_model()
    model.summary()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "priority": keras.losses.BinaryCrossentropy(from_logits=True),
            "department": keras.losses.CategoricalCrossentropy(from_logits=True),
        },
        loss_weights={"priority": 1.0, "department": 0.2},
    )
    (title_data, body_data, tags_data), (priority_targets, dept_targets) = make_dummy_data()
    model.fit(
        {"title": title_data, "body": body_data, "tags": tags_data},
        {"priority": priority_targets, "department": dept_targets},
        epochs=1,
        batch_size=32,
        verbose=2,
    )

    resnet = build_toy_resnet()
    print("toy resnet params:", resnet.count_params())
    resnet.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["acc"],
    )
    x_train = np.random.random((64, 32, 32, 3)).astype("float32")
    y_train = np.random.randint(10, size=(64,))
    resnet.fit(x_train, y_train, batch_size=32, epochs=1, validation_split=0.25, verbose=2)

    shared_embedding_demo()
    feature_extraction_demo(resnet)


if __name__ == "__main__":
    main()
