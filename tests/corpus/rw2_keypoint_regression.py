# Keypoint Detection with Transfer Learning (dog-pose style, tiny random data)
#
# A MobileNetV2 backbone (randomly initialised here -- weights=None so nothing
# is downloaded) followed by a small SeparableConv2D head that regresses
# normalized (x, y) coordinates for each keypoint.

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.applications import MobileNetV2

IMG_SIZE = 96
BATCH_SIZE = 8
EPOCHS = 1
NUM_JOINTS = 12
NUM_KEYPOINTS = NUM_JOINTS * 2  # 12 pairs each having x and y coordinates
NUM_SAMPLES = 32

HEAD_CONFIG = {
    "sep_filters": [96, 64],
    "dropout": 0.3,
    "alpha": 0.35,
}

np.random.seed(3)

# ---------------------------------------------------------------------------
# Synthetic annotations: images + keypoints in pixel space
# ---------------------------------------------------------------------------
images = np.random.randint(0, 256, size=(NUM_SAMPLES, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
keypoints = np.random.uniform(0, IMG_SIZE, size=(NUM_SAMPLES, NUM_JOINTS, 2)).astype("float32")

split = int(0.75 * NUM_SAMPLES)
train_images, val_images = images[:split], images[split:]
train_kps, val_kps = keypoints[:split], keypoints[split:]


def preprocess(image, kps):
    # Keypoints are normalized to [0, 1] and flattened to (NUM_KEYPOINTS,)
    kps = tf.reshape(kps, (-1,)) / IMG_SIZE
    image = tf.image.random_brightness(image, max_delta=10.0)
    image = tf.clip_by_value(image, 0.0, 255.0)
    return image, kps


def make_dataset(x, y, training=True):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(64)
    ds = ds.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


train_dataset = make_dataset(train_images, train_kps, training=True)
validation_dataset = make_dataset(val_images, val_kps, training=False)

sample_images, sample_keypoints = next(iter(train_dataset))
print("batch:", sample_images.shape, sample_keypoints.shape)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def get_model():
    # Load the pre-trained weights of MobileNetV2 and freeze the weights
    backbone = MobileNetV2(
        weights=None,
        include_top=False,
        input_shape=(IMG_SIZE, IMG_SIZE, 3),
        alpha=HEAD_CONFIG["alpha"],
    )
    backbone.trainable = False

    inputs = layers.Input((IMG_SIZE, IMG_SIZE, 3))
    x = keras.applications.mobilenet_v2.preprocess_input(inputs)
    x = backbone(x)
    print("backbone feature map:", x.shape)
    x = layers.Dropout(HEAD_CONFIG["dropout"])(x)
    for filters in HEAD_CONFIG["sep_filters"]:
        x = layers.SeparableConv2D(filters, kernel_size=3, padding="same", activation="relu")(x)
        x = layers.BatchNormalization()(x)
    x = layers.Dropout(HEAD_CONFIG["dropout"])(x)
    # 3x3 feature map -> 1x1 with a valid 3x3 convolution
    x = layers.Conv2D(NUM_KEYPOINTS, kernel_size=3, strides=1, activation="sigmoid")(x)
    outputs = layers.Reshape((NUM_KEYPOINTS,))(x)

    return keras.Model(inputs, outputs, name="keypoint_detector")


model = get_model()
model.summary()

model.compile(loss="mse", optimizer=keras.optimizers.Adam(1e-4), metrics=["mae"])
model.fit(train_dataset, validation_data=validation_dataset, epochs=EPOCHS, verbose=2)

# ---------------------------------------------------------------------------
# Predictions -> pixel coordinates
# ---------------------------------------------------------------------------
sample_val_images, sample_val_keypoints = next(iter(validation_dataset))
predictions = model.predict(sample_val_images, verbose=0)
predictions = predictions.reshape(-1, NUM_JOINTS, 2) * IMG_SIZE
ground_truth = sample_val_keypoints.numpy().reshape(-1, NUM_JOINTS, 2) * IMG_SIZE
print("predicted keypoints:", predictions.shape)
print("mean pixel error:", float(np.abs(predictions - ground_truth).mean()))

loss, mae = model.evaluate(validation_dataset, verbose=0)
print(f"val loss={loss:.4f} mae={mae:.4f}")
