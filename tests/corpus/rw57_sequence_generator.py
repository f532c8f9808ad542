"""Custom keras.utils.Sequence data generator + class_weight for imbalanced data.

Classic "DataGenerator(keras.utils.Sequence)" pattern from the Keras 2 days
(the Stanford blog post everybody copied), adapted for Keras 3:
  * `super().__init__(**kwargs)` so workers/use_multiprocessing are accepted
  * `fit_generator` -> `fit`
  * class weights computed from label counts, sklearn-style "balanced"

"Files" are simulated by an in-memory dict of ids -> arrays so the script
runs without any data on disk.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


PARAMS = {
    "dim": (16, 16),
    "batch_size": 16,
    "n_classes": 3,
    "n_channels": 1,
    "shuffle": True,
}

N_SAMPLES = 240
EPOCHS = 2


class DataGenerator(keras.utils.Sequence):
    """Generates data for Keras"""

    def __init__(self, list_IDs, labels, storage, batch_size=32, dim=(32, 32),
                 n_channels=1, n_classes=10, shuffle=True, augment=False, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.batch_size = batch_size
        self.labels = labels
        self.list_IDs = list_IDs
        self.storage = storage
        self.n_channels = n_channels
        self.n_classes = n_classes
        self.shuffle = shuffle
        self.augment = augment
        self.on_epoch_end()

    def __len__(self):
        """Denotes the number of batches per epoch"""
        return int(np.floor(len(self.list_IDs) / self.batch_size))

    def __getitem__(self, index):
        """Generate one batch of data"""
        indexes = self.indexes[index * self.batch_size:(index + 1) * self.batch_size]
        list_IDs_temp = [self.list_IDs[k] for k in indexes]
        X, y = self.__data_generation(list_IDs_temp)
        return X, y

    def on_epoch_end(self):
        """Updates indexes after each epoch"""
        self.indexes = np.arange(len(self.list_IDs))
        if self.shuffle:
            np.random.shuffle(self.indexes)

    def __data_generation(self, list_IDs_temp):
        """Generates data containing batch_size samples"""
        X = np.empty((self.batch_size, *self.dim, self.n_channels), dtype="float32")
        y = np.empty((self.batch_size,), dtype=int)

        for i, ID in enumerate(list_IDs_temp):
            sample = self.storage[ID]  # would be np.load('data/' + ID + '.npy')
            if self.augment and np.random.rand() > 0.5:
                sample = sample[:, ::-1]
            X[i, ] = sample[..., np.newaxis]
            y[i] = self.labels[ID]

        return X, keras.utils.to_categorical(y, num_classes=self.n_classes)


def build_fake_storage(n, dim, n_classes, class_probs):
    rng = np.random.default_rng(0)
    storage, labels = {}, {}
    ys = rng.choice(n_classes, size=n, p=class_probs)
    for i, y in enumerate(ys):
        ID = "id-%04d" % i
        img = rng.normal(0.0, 1.0, size=dim).astype("float32")
        # class-dependent bright stripe so the net has something to learn
        img[:, y * 4:(y * 4) + 3] += 2.0
        storage[ID] = img
        labels[ID] = int(y)
    return storage, labels


def balanced_class_weight(labels, n_classes):
    counts = np.bincount(np.asarray(list(labels)), minlength=n_classes)
    total = counts.sum()
    return {c: total / (n_classes * max(cnt, 1)) for c, cnt in enumerate(counts)}


def build_model(input_shape, n_classes):
    model = keras.Sequential([
        layers.Input(shape=input_shape),
        layers.Conv2D(16, (3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(32, (3, 3), activation="relu"),
        layers.GlobalAveragePooling2D(),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(n_classes, activation="softmax"),
    ])
    model.compile(optimizer="adam",
                  loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


if __name__ == "__main__":
    np.random.seed(42)
    tf.random.set_seed(42)

    storage, labels = build_fake_storage(
        N_SAMPLES, PARAMS["dim"], PARAMS["n_classes"], class_probs=[0.7, 0.2, 0.1])

    ids = sorted(storage)
    split = int(0.8 * len(ids))
    partition = {"train": ids[:split], "validation": ids[split:]}

    training_generator = DataGenerator(partition["train"], labels, storage,
                                       augment=True, **PARAMS)
    validation_generator = DataGenerator(partition["validation"], labels, storage,
                                         **{**PARAMS, "shuffle": False})

    X0, y0 = training_generator[0]
    print("batch X:", X0.shape, "batch y:", y0.shape, "steps/epoch:", len(training_generator))

    class_weight = balanced_class_weight(
        (labels[i] for i in partition["train"]), PARAMS["n_classes"])
    print("class_weight:", {k: round(v, 3) for k, v in class_weight.items()})

    model = build_model((*PARAMS["dim"], PARAMS["n_channels"]), PARAMS["n_classes"])
    model.summary()

    history = model.fit(training_generator,
                        validation_data=validation_generator,
                        epochs=EPOCHS,
                        class_weight=class_weight,
                        verbose=2)

    # predict over the validation generator: it yields (X, y), predict ignores y
    probs = model.predict(validation_generator, verbose=0)
    n_eval = len(validation_generator) * PARAMS["batch_size"]
    y_true = np.array([labels[i] for i in partition["validation"][:n_eval]])
    y_hat = probs.argmax(axis=-1)
    print("val probs:", probs.shape,
          "manual acc: %.3f" % np.mean(y_true == y_hat),
          "val_loss history:", [round(v, 4) for v in history.history["val_loss"]])
    print("steps check:", math.ceil(len(partition["validation"]) / PARAMS["batch_size"]),
          len(validation_generator))
