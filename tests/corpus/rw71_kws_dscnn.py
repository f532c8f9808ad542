"""Keyword spotting with a DS-CNN on MFCC features.

Small re-implementation of the "Hello Edge" depthwise-separable CNN for the
Speech Commands task. Audio is synthetic here (sine bursts + noise) so the
script runs offline; swap `make_fake_dataset` for a real loader to train.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
FRAME_LENGTH = 640      # 40 ms
FRAME_STEP = 320        # 20 ms
FFT_LENGTH = 1024
NUM_MEL_BINS = 40
NUM_MFCC = 10
LOWER_HZ, UPPER_HZ = 20.0, 7600.0

KEYWORDS = ["yes", "no", "up", "down", "left", "right", "_silence_", "_unknown_"]
NUM_CLASSES = len(KEYWORDS)
BATCH_SIZE = 32
NUM_TRAIN = 256

AUDIO_LEN = int(SAMPLE_RATE * CLIP_SECONDS)
NUM_FRAMES = 1 + (AUDIO_LEN - FRAME_LENGTH) // FRAME_STEP

# precompute the mel matrix once, it is constant
MEL_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=NUM_MEL_BINS,
    num_spectrogram_bins=FFT_LENGTH // 2 + 1,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=LOWER_HZ,
    upper_edge_hertz=UPPER_HZ,
)


def make_fake_dataset(n, seed=0):
    """Each class gets its own carrier frequency so the task is learnable."""
    rng = np.random.default_rng(seed)
    t = np.arange(AUDIO_LEN) / SAMPLE_RATE
    labels = rng.integers(0, NUM_CLASSES, size=n)
    waves = np.zeros((n, AUDIO_LEN), dtype=np.float32)
    for i, lab in enumerate(labels):
        f0 = 200.0 + 150.0 * lab
        onset = rng.integers(0, AUDIO_LEN // 2)
        env = np.zeros(AUDIO_LEN)
        env[onset:onset + AUDIO_LEN // 3] = np.hanning(len(env[onset:onset + AUDIO_LEN // 3]))
        waves[i] = 0.5 * env * np.sin(2 * np.pi * f0 * t) + 0.02 * rng.standard_normal(AUDIO_LEN)
    return waves, labels.astype(np.int32)


def random_time_shift(audio, max_shift=1600):
    shift = tf.random.uniform([], -max_shift, max_shift, dtype=tf.int32)
    return tf.roll(audio, shift, axis=0)


def add_background_noise(audio, max_gain=0.05):
    gain = tf.random.uniform([], 0.0, max_gain)
    return audio + gain * tf.random.normal(tf.shape(audio))


def audio_to_mfcc(audio):
    stft = tf.signal.stft(audio, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP,
                          fft_length=FFT_LENGTH, window_fn=tf.signal.hann_window)
    power = tf.math.square(tf.abs(stft))
    mel = tf.tensordot(power, MEL_MATRIX, 1)
    mel.set_shape(power.shape[:-1].concatenate(MEL_MATRIX.shape[-1:]))
    log_mel = tf.math.log(mel + 1e-6)
    mfcc = tf.signal.mfccs_from_log_mel_spectrograms(log_mel)[..., :NUM_MFCC]
    return mfcc[..., tf.newaxis]  # (frames, mfcc, 1) -> treat as an image


def preprocess(audio, label, training=False):
    if training:  # python bool, decided at trace time
        audio = random_time_shift(audio)
        audio = add_background_noise(audio)
    return audio_to_mfcc(audio), label


def build_pipeline(waves, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((waves, labels))
    if training:
        ds = ds.shuffle(len(waves), reshuffle_each_iteration=True)
    ds = ds.map(lambda a, y: preprocess(a, y, training), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def ds_block(x, filters, name):
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(name=f"{name}_pw_relu")(x)


def build_dscnn(input_shape, num_classes, width=64, num_blocks=4):
    inputs = keras.Input(shape=input_shape, name="mfcc")
    x = layers.Conv2D(width, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.2)(x)
    for i in range(num_blocks):
        x = ds_block(x, width, name=f"ds{i + 1}")
    x = layers.Dropout(0.4)(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="ds_cnn")


def main():
    tf.random.set_seed(42)
    x_train, y_train = make_fake_dataset(NUM_TRAIN, seed=1)
    x_val, y_val = make_fake_dataset(64, seed=2)

    train_ds = build_pipeline(x_train, y_train, training=True)
    val_ds = build_pipeline(x_val, y_val, training=False)

    for feats, labs in train_ds.take(1):
        print("feature batch:", feats.shape, "labels:", labs.shape)

    model = build_dscnn((NUM_FRAMES, NUM_MFCC, 1), NUM_CLASSES)
    model.summary()

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    # streaming-ish inference on a single clip
    clip = tf.constant(x_val[0])
    logits = model(audio_to_mfcc(clip)[tf.newaxis], training=False)
    pred = int(tf.argmax(logits, axis=-1)[0])
    print(f"predicted keyword: {KEYWORDS[pred]!r} (true: {KEYWORDS[y_val[0]]!r})")


if __name__ == "__main__":
    main()
