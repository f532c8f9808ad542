# Video clip classifier: small CNN applied per frame with TimeDistributed, then an LSTM.
# Originally got "Input 0 of layer conv2d is incompatible" until I wrapped the convs.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

NUM_FRAMES = 8
IMG_H, IMG_W, CHANNELS = 32, 32, 3
NUM_CLASSES = 4
BATCH_SIZE = 4


def make_fake_videos(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, NUM_FRAMES, IMG_H, IMG_W, CHANNELS), dtype=np.float32)
    y = rng.integers(0, NUM_CLASSES, size=(n,))
    return X, tf.keras.utils.to_categorical(y, NUM_CLASSES)


def build_frame_encoder():
    # plain CNN that works on a single frame
    inp = layers.Input(shape=(IMG_H, IMG_W, CHANNELS))
    x = inp
    for filters in [16, 32]:
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    return models.Model(inp, x, name="frame_encoder")


def build_model():
    frames = layers.Input(shape=(NUM_FRAMES, IMG_H, IMG_W, CHANNELS), name="frames")
    encoder = build_frame_encoder()
    # apply the same encoder to every frame -> (batch, frames, 64)
    x = layers.TimeDistributed(encoder, name="td_encoder")(frames)
    x = layers.LSTM(32, return_sequences=False)(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return models.Model(frames, out)


def build_model_layerwise():
    # second version someone suggested in the answers: wrap each layer individually
    model = models.Sequential([
        layers.Input(shape=(NUM_FRAMES, IMG_H, IMG_W, CHANNELS)),
        layers.TimeDistributed(layers.Conv2D(8, (3, 3), activation="relu")),
        layers.TimeDistributed(layers.MaxPooling2D((2, 2))),
        layers.TimeDistributed(layers.GlobalAveragePooling2D()),
        layers.LSTM(16),
        layers.Dense(NUM_CLASSES, activation="softmax"),
    ])
    return model


if __name__ == "__main__":
    X_train, y_train = make_fake_videos(24)
    print("X_train:", X_train.shape, "y_train:", y_train.shape)

    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary(line_length=90)
    model.fit(X_train, y_train, batch_size=BATCH_SIZE, epochs=1, verbose=2)

    # predicting one clip: needs the batch dimension back
    single_clip = X_train[0]
    print("single clip shape:", single_clip.shape)
    pred = model.predict(np.expand_dims(single_clip, axis=0), verbose=0)
    print("pred shape:", pred.shape, "class:", int(np.argmax(pred, axis=-1)[0]))

    model2 = build_model_layerwise()
    model2.compile(optimizer=tf.keras.optimizers.Adam(1e-3), loss="categorical_crossentropy")
    hist = model2.fit(X_train[:8], y_train[:8], batch_size=4, epochs=1, verbose=0)
    print("layerwise model loss:", round(hist.history["loss"][0], 4))
    print(model2(X_train[:2]).shape)
