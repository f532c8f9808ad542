# Simple audio recognition (TF tutorial flavour) on synthetic 1-second waveforms.
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras import models

SEED = 42
tf.random.set_seed(SEED)
np.random.seed(SEED)

SAMPLE_RATE = 8000
NUM_SAMPLES = 48
BATCH_SIZE = 16
commands = np.array(["down", "go", "left", "no", "right", "stop", "up", "yes"])
num_labels = len(commands)

# fake "recordings": noisy sines at a label-dependent pitch
t = np.arange(SAMPLE_RATE, dtype=np.float32) / SAMPLE_RATE
labels_np = np.random.randint(0, num_labels, size=NUM_SAMPLES)
waves_np = np.stack([
    0.5 * np.sin(2 * np.pi * (200 + 100 * lbl) * t) + 0.1 * np.random.randn(SAMPLE_RATE)
    for lbl in labels_np
]).astype(np.float32)
print("waveforms:", waves_np.shape, "labels:", labels_np.shape)


def get_spectrogram(waveform):
    # Convert the waveform to a spectrogram via a STFT.
    spectrogram = tf.signal.stft(waveform, frame_length=255, frame_step=128)
    # Obtain the magnitude of the STFT.
    spectrogram = tf.abs(spectrogram)
    # Add a `channels` dimension, so that the spectrogram can be used
    # as image-like input data with convolution layers (which expect
    # shape (`batch_size`, `height`, `width`, `channels`).
    spectrogram = spectrogram[..., tf.newaxis]
    return spectrogram


def make_spec_ds(ds):
    return ds.map(
        map_func=lambda audio, label: (get_spectrogram(audio), label),
        num_parallel_calls=tf.data.AUTOTUNE,
    )


full_ds = tf.data.Dataset.from_tensor_slices((waves_np, labels_np))
train_ds = full_ds.take(32).batch(BATCH_SIZE)
val_ds = full_ds.skip(32).batch(BATCH_SIZE)

train_spectrogram_ds = make_spec_ds(train_ds)
val_spectrogram_ds = make_spec_ds(val_ds)

for example_spectrograms, example_spect_labels in train_spectrogram_ds.take(1):
    break
print("spectrogram batch:", example_spectrograms.shape)

# single-example path with tf.expand_dims instead of tf.newaxis
one_spec = tf.expand_dims(tf.abs(tf.signal.stft(waves_np[0], frame_length=255, frame_step=128)), -1)
print("single spectrogram:", one_spec.shape)

train_spectrogram_ds = train_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)
val_spectrogram_ds = val_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)

input_shape = example_spectrograms.shape[1:]
print("Input shape:", input_shape)

# Instantiate the `tf.keras.layers.Normalization` layer.
norm_layer = layers.Normalization()
# Fit the state of the layer to the spectrograms with `Normalization.adapt`.
norm_layer.adapt(data=train_spectrogram_ds.map(map_func=lambda spec, label: spec))

model = models.Sequential([
    layers.Input(shape=input_shape),
    # Downsample the input.
    layers.Resizing(32, 32),
    # Normalize.
    norm_layer,
    layers.Conv2D(32, 3, activation="relu"),
    layers.Conv2D(64, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(num_labels),
])

model.summary()

model.compile(
    optimizer=tf.keras.optimizers.Adam(),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)

EPOCHS = 1
history = model.fit(
    train_spectrogram_ds,
    validation_data=val_spectrogram_ds,
    epochs=EPOCHS,
    callbacks=tf.keras.callbacks.EarlyStopping(verbose=1, patience=2),
)

metrics = history.history
print("final loss:", metrics["loss"][-1], "val_loss:", metrics["val_loss"][-1])

model.evaluate(val_spectrogram_ds, return_dict=True)

y_pred = model.predict(val_spectrogram_ds)
y_pred = tf.argmax(y_pred, axis=1)
y_true = tf.concat(list(val_spectrogram_ds.map(lambda s, lab: lab)), axis=0)
confusion_mtx = tf.math.confusion_matrix(y_true, y_pred, num_classes=num_labels)
print("confusion matrix shape:", confusion_mtx.shape)


class ExportModel(tf.Module):
    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        x = get_spectrogram(x)
        result = self.model(x, training=False)
        class_ids = tf.argmax(result, axis=-1)
        class_names = tf.gather(commands, class_ids)
        return {"predictions": result, "class_ids": class_ids, "class_names": class_names}


export = ExportModel(model)
out = export(tf.constant(waves_np[:3]))
print({k: v.shape for k, v in out.items()})
print(out["class_names"].numpy())
