"""Multi-head face attribute model (UTKFace-style): age regression, gender and race classification.

A small CNN trunk is shared between three heads. Labels are fed as a dict keyed
by output layer name, and losses / loss_weights / metrics are dicts too, which is
the cleanest way to keep track of which head is which once the model grows.

Data here is random noise shaped like 64x64 RGB crops so the script runs offline.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 64
NUM_RACES = 5
BATCH_SIZE = 32
NUM_SAMPLES = 256
EPOCHS = 1
MAX_AGE = 100.0

SEED = 1337
rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_fake_dataset(n):
    images = rng.random((n, IMG_SIZE, IMG_SIZE, 3), dtype=np.float32)
    ages = rng.integers(1, 90, size=(n,)).astype("float32")
    genders = rng.integers(0, 2, size=(n,)).astype("float32")
    races = rng.integers(0, NUM_RACES, size=(n,)).astype("int32")
    return images, ages, genders, races


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.Activation("relu", name=f"{name}_relu1")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    x = layers.Activation("relu", name=f"{name}_relu2")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


def build_trunk(inputs):
    x = layers.Rescaling(1.0, name="identity_scale")(inputs)
    for i, f in enumerate([16, 32, 64]):
        x = conv_block(x, f, name=f"block{i + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    return layers.Dropout(0.3, name="trunk_dropout")(x)


def build_head(features, units, name, activation, hidden=64):
    h = layers.Dense(hidden, activation="relu", name=f"{name}_fc")(features)
    h = layers.Dropout(0.2, name=f"{name}_drop")(h)
    return layers.Dense(units, activation=activation, name=name)(h)


def build_model():
    inputs = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 3), name="image")
    features = build_trunk(inputs)

    age = build_head(features, 1, "age", activation="linear")
    gender = build_head(features, 1, "gender", activation="sigmoid", hidden=32)
    race = build_head(features, NUM_RACES, "race", activation="softmax")

    return keras.Model(inputs=inputs, outputs=[age, gender, race], name="face_attributes")


def to_tf_dataset(images, ages, genders, races, training=True):
    ds = tf.data.Dataset.from_tensor_slices(
        (
            {"image": images},
            {
                "age": ages[:, None] / MAX_AGE,  # regress on normalised age
                "gender": genders[:, None],
                "race": races,
            },
        )
    )
    if training:
        ds = ds.shuffle(NUM_SAMPLES, seed=SEED)

        def augment(x, y):
            img = tf.image.random_flip_left_right(x["image"])
            img = tf.image.random_brightness(img, 0.1)
            return {"image": tf.clip_by_value(img, 0.0, 1.0)}, y

        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def main():
    images, ages, genders, races = make_fake_dataset(NUM_SAMPLES)
    split = int(0.8 * NUM_SAMPLES)
    train_ds = to_tf_dataset(images[:split], ages[:split], genders[:split], races[:split])
    val_ds = to_tf_dataset(images[split:], ages[split:], genders[split:], races[split:], training=False)

    model = build_model()
    model.summary(line_length=100)

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={
            "age": keras.losses.Huber(delta=0.1),
            "gender": "binary_crossentropy",
            "race": "sparse_categorical_crossentropy",
        },
        # age loss is on a much smaller scale after normalisation, so bump it up
        loss_weights={"age": 4.0, "gender": 1.0, "race": 1.0},
        metrics={
            "age": [keras.metrics.MeanAbsoluteError(name="mae")],
            "gender": ["accuracy"],
            "race": ["accuracy"],
        },
    )

    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    for k, v in history.history.items():
        print(f"{k:>24s}: {v[-1]:.4f}")

    # Inference: un-normalise the age prediction
    sample = images[:4]
    age_pred, gender_pred, race_pred = model.predict({"image": sample}, verbose=0)
    for i in range(len(sample)):
        print(
            f"sample {i}: age={age_pred[i, 0] * MAX_AGE:5.1f} "
            f"gender={'F' if gender_pred[i, 0] > 0.5 else 'M'} "
            f"race={int(np.argmax(race_pred[i]))}"
        )


if __name__ == "__main__":
    main()
