"""Keyword spotting on log-mel spectrograms.

Raw 1-second waveforms are turned into log-mel features inside a tf.data
pipeline (tf.signal.stft + mel weight matrix), then fed to a small
depthwise-separable CNN in the spirit of DS-CNN for KWS. Data is synthetic:
each "keyword" is a noisy tone burst with a class-dependent frequency.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SAMPLE_RATE = 16000
CLIP_SECONDS = 1.0
NUM_CLASSES = 6
FEATURE_CFG = {
    "frame_length": 480,   # 30 ms
    "frame_step": 320,     # 20 ms
    "fft_length": 512,
    "num_mel_bins": 40,
    "lower_hz": 20.0,
    "upper_hz": 7600.0,
}
BATCH_SIZE = 16


def synth_waveforms(n, seed=0):
    rng = np.random.default_rng(seed)
    num_samples = int(SAMPLE_RATE * CLIP_SECONDS)
    t = np.arange(num_samples) / SAMPLE_RATE
    labels = rng.integers(0, NUM_CLASSES, size=n)
    waves = np.zeros((n, num_samples), dtype=np.float32)
    for i, lab in enumerate(labels):
        freq = 300.0 + 250.0 * lab
        onset = rng.integers(0, num_samples // 2)
        dur = rng.integers(num_samples // 4, num_samples // 2)
        env = np.zeros(num_samples)
        env[onset:onset + dur] = np.hanning(dur)[: num_samples - onset]
        waves[i] = env * np.sin(2 * np.pi * freq * t) + 0.05 * rng.standard_normal(num_samples)
    return waves, labels.astype(np.int32)


_MEL_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=FEATURE_CFG["num_mel_bins"],
    num_spectrogram_bins=FEATURE_CFG["fft_length"] // 2 + 1,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=FEATURE_CFG["lower_hz"],
    upper_edge_hertz=FEATURE_CFG["upper_hz"],
)


def log_mel(waveform, label):
    stft = tf.signal.stft(
        waveform,
        frame_length=FEATURE_CFG["frame_length"],
        frame_step=FEATURE_CFG["frame_step"],
        fft_length=FEATURE_CFG["fft_length"],
        window_fn=tf.signal.hann_window,
    )
    power = tf.math.square(tf.abs(stft))
    mel = tf.tensordot(power, _MEL_MATRIX, axes=1)
    mel.set_shape(power.shape[:-1].concatenate(_MEL_MATRIX.shape[-1:]))
    logmel = tf.math.log(mel + 1e-6)
    # per-utterance mean/variance normalisation
    mean, var = tf.nn.moments(logmel, axes=[0], keepdims=True)
    logmel = (logmel - mean) / tf.sqrt(var + 1e-5)
    return logmel[..., tf.newaxis], label


def random_time_shift(waveform, label):
    shift = tf.random.uniform([], -1600, 1600, dtype=tf.int32)
    return tf.roll(waveform, shift, axis=0), label


def make_dataset(waves, labels, training):
    ds = tf.data.Dataset.from_tensor_slices((waves, labels))
    if training:
        ds = ds.shuffle(len(waves)).map(random_time_shift, num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(log_mel, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def ds_block(x, filters, name):
    x = layers.DepthwiseConv2D(3, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(name=f"{name}_pw_relu")(x)


def build_dscnn(input_shape, num_classes, width=64, depth=4):
    inputs = keras.Input(shape=input_shape, name="logmel")
    x = layers.Conv2D(width, (10, 4), strides=(2, 2), padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Dropout(0.1)(x)
    for i in range(depth):
        x = ds_block(x, width, name=f"ds{i}")
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="keyword")(x)
    return keras.Model(inputs, outputs, name="ds_cnn_kws")


def main():
    tf.random.set_seed(1)
    train_w, train_y = synth_waveforms(96, seed=1)
    val_w, val_y = synth_waveforms(32, seed=2)
    train_ds = make_dataset(train_w, train_y, training=True)
    val_ds = make_dataset(val_w, val_y, training=False)

    feat_shape = train_ds.element_spec[0].shape[1:]
    print("log-mel feature shape:", feat_shape)
    model = build_dscnn(feat_shape, NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    model.summary(line_length=90)
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    probs = model.predict(val_ds, verbose=0)
    preds = np.argmax(probs, axis=-1)
    print("val accuracy (argmax):", float(np.mean(preds == val_y)))

    # streaming-style inference on a single clip
    clip_feat, _ = log_mel(tf.constant(val_w[0]), 0)
    single = model(clip_feat[tf.newaxis], training=False)
    print("single clip top-1:", int(tf.argmax(single, axis=-1)[0]), "true:", int(val_y[0]))


if __name__ == "__main__":
    main()
