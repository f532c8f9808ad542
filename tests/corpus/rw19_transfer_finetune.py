"""Transfer learning and fine-tuning with a frozen MobileNetV2 base.

Follows the TensorFlow transfer-learning guide: a data-augmentation block and
``preprocess_input`` rescaling feed a MobileNetV2 feature extractor (built
with ``weights=None`` so nothing is downloaded), which is frozen while a new
classification head is trained; then the top layers of the base are unfrozen
and the whole model is recompiled with a lower learning rate for
fine-tuning. Images are synthetic two-class noise patterns.
"""
import numpy as np
import tensorflow as tf

IMG_SIZE = (64, 64)
IMG_SHAPE = IMG_SIZE + (3,)
BATCH_SIZE = 8
NUM_TRAIN = 48
NUM_VAL = 16
BASE_LEARNING_RATE = 1e-4
INITIAL_EPOCHS = 1
FINE_TUNE_EPOCHS = 1
FINE_TUNE_AT = 120
CLASS_NAMES = ["cats", "dogs"]


def synthetic_images(n, seed):
    """Class 0 = horizontal stripes, class 1 = vertical stripes (0..255 pixels)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    coords = np.arange(IMG_SIZE[0], dtype="float32")
    images = np.empty((n,) + IMG_SHAPE, dtype="float32")
    for i, label in enumerate(labels):
        freq = rng.uniform(0.2, 0.6)
        wave = 127.5 + 100 * np.sin(coords * freq)
        pattern = np.tile(wave[:, None], (1, IMG_SIZE[1])) if label == 0 else \
            np.tile(wave[None, :], (IMG_SIZE[0], 1))
        images[i] = pattern[..., None] + rng.normal(0, 20, size=IMG_SHAPE)
    return np.clip(images, 0, 255), labels.astype("float32")


def make_ds(images, labels, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle:
        ds = ds.shuffle(len(images))
    return ds.batch(BATCH_SIZE).prefetch(buffer_size=tf.data.AUTOTUNE)


data_augmentation = tf.keras.Sequential([
    tf.keras.layers.RandomFlip("horizontal"),
    tf.keras.layers.RandomRotation(0.2),
], name="data_augmentation")

preprocess_input = tf.keras.applications.mobilenet_v2.preprocess_input


def build_model(base_model):
    global_average_layer = tf.keras.layers.GlobalAveragePooling2D()
    prediction_layer = tf.keras.layers.Dense(1)

    inputs = tf.keras.Input(shape=IMG_SHAPE)
    x = data_augmentation(inputs)
    x = preprocess_input(x)
    x = base_model(x, training=False)
    x = global_average_layer(x)
    x = tf.keras.layers.Dropout(0.2)(x)
    outputs = prediction_layer(x)
    return tf.keras.Model(inputs, outputs)


def compile_model(model, learning_rate, optimizer_cls=tf.keras.optimizers.Adam):
    model.compile(optimizer=optimizer_cls(learning_rate=learning_rate),
                  loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[tf.keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")])


def count_trainable(model):
    return len(model.trainable_variables)


if __name__ == "__main__":
    train_images, train_labels = synthetic_images(NUM_TRAIN, seed=0)
    val_images, val_labels = synthetic_images(NUM_VAL, seed=1)
    train_dataset = make_ds(train_images, train_labels, shuffle=True)
    validation_dataset = make_ds(val_images, val_labels, shuffle=False)

    base_model = tf.keras.applications.MobileNetV2(input_shape=IMG_SHAPE,
                                                   include_top=False,
                                                   alpha=0.35,
                                                   weights=None)
    image_batch, label_batch = next(iter(train_dataset))
    feature_batch = base_model(image_batch)
    print("Feature batch shape:", feature_batch.shape)

    base_model.trainable = False
    model = build_model(base_model)
    compile_model(model, BASE_LEARNING_RATE)
    print("Trainable variables (frozen base):", count_trainable(model))

    loss0, accuracy0 = model.evaluate(validation_dataset, verbose=0)
    print("initial loss: {:.2f}, initial accuracy: {:.2f}".format(loss0, accuracy0))

    history = model.fit(train_dataset, epochs=INITIAL_EPOCHS,
                        validation_data=validation_dataset, verbose=2)

    # Un-freeze the top of the model for fine-tuning.
    base_model.trainable = True
    print("Number of layers in the base model: ", len(base_model.layers))
    for layer in base_model.layers[:FINE_TUNE_AT]:
        layer.trainable = False

    compile_model(model, BASE_LEARNING_RATE / 10, optimizer_cls=tf.keras.optimizers.RMSprop)
    print("Trainable variables (fine-tuning):", count_trainable(model))

    total_epochs = INITIAL_EPOCHS + FINE_TUNE_EPOCHS
    history_fine = model.fit(train_dataset, epochs=total_epochs,
                             initial_epoch=history.epoch[-1] + 1,
                             validation_data=validation_dataset, verbose=2)

    acc = history.history["accuracy"] + history_fine.history["accuracy"]
    print("Accuracy over training:", [round(a, 3) for a in acc])

    image_batch, label_batch = next(iter(validation_dataset))
    predictions = model.predict_on_batch(image_batch).flatten()
    predictions = tf.where(tf.nn.sigmoid(predictions) < 0.5, 0, 1)
    print("Predictions:\n", [CLASS_NAMES[int(p)] for p in predictions.numpy()])
    print("Labels:\n", [CLASS_NAMES[int(l)] for l in label_batch.numpy()])
