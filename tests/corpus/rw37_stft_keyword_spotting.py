# Keyword-spotting style audio classifier: raw waveform -> STFT -> log-mel -> CNN
# Data is synthetic (tones + noise) so no speech_commands download is needed.
import math
import numpy as np
import tensorflow as tf

SAMPLE_RATE = 8000
CLIP_SECONDS = 1.0
NUM_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)
FRAME_LENGTH = 256
FRAME_STEP = 128
FFT_LENGTH = 256
NUM_MEL_BINS = 40
LABELS = ["yes", "no", "up", "down"]
BATCH = 32
AUTOTUNE = tf.data.AUTOTUNE


def synth_clip(label_id):
    t = np.arange(NUM_SAMPLES) / SAMPLE_RATE
    f0 = 300 + 250 * label_id
    # variable length "word" placed somewhere in the clip
    length = np.random.randint(NUM_SAMPLES // 3, NUM_SAMPLES // 2)
    start = np.random.randint(0, NUM_SAMPLES - length)
    env = np.zeros(NUM_SAMPLES)
    env[start:start + length] = np.hanning(length)
    wav = env * np.sin(2 * math.pi * f0 * t) + 0.05 * np.random.randn(NUM_SAMPLES)
    return wav.astype(np.float32)


n = 256
y_all = np.random.randint(0, len(LABELS), n)
# variable-length raw clips, like reading wav files of different durations
wavs = [synth_clip(l)[: np.random.randint(6000, NUM_SAMPLES + 1)] for l in y_all]

mel_matrix = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=NUM_MEL_BINS,
    num_spectrogram_bins=FFT_LENGTH // 2 + 1,
    sample_rate=SAMPLE_RATE,
    lower_edge_hertz=20.0,
    upper_edge_hertz=SAMPLE_RATE / 2,
)
print("mel weight matrix:", mel_matrix.shape)


def pad_or_trim(waveform):
    waveform = waveform[:NUM_SAMPLES]
    zero_padding = tf.zeros([NUM_SAMPLES] - tf.shape(waveform), dtype=tf.float32)
    return tf.concat([waveform, zero_padding], 0)


def get_log_mel(waveform, label):
    waveform = pad_or_trim(waveform)
    stft = tf.signal.stft(waveform, frame_length=FRAME_LENGTH, frame_step=FRAME_STEP,
                          fft_length=FFT_LENGTH, window_fn=tf.signal.hann_window)
    spectrogram = tf.abs(stft)
    mel = tf.tensordot(spectrogram, mel_matrix, 1)
    mel.set_shape(spectrogram.shape[:-1].concatenate(mel_matrix.shape[-1:]))
    log_mel = tf.math.log(mel + 1e-6)
    log_mel = log_mel[..., tf.newaxis]
    return log_mel, label


def spec_augment(spec, label, max_f=6, max_t=8):
    # simple SpecAugment: one frequency mask and one time mask
    T = tf.shape(spec)[0]
    F = tf.shape(spec)[1]
    f = tf.random.uniform([], 0, max_f, dtype=tf.int32)
    f0 = tf.random.uniform([], 0, F - f, dtype=tf.int32)
    fmask = tf.concat([tf.ones([f0]), tf.zeros([f]), tf.ones([F - f0 - f])], 0)
    t = tf.random.uniform([], 0, max_t, dtype=tf.int32)
    t0 = tf.random.uniform([], 0, T - t, dtype=tf.int32)
    tmask = tf.concat([tf.ones([t0]), tf.zeros([t]), tf.ones([T - t0 - t])], 0)
    mask = tf.tensordot(tmask, fmask, axes=0)[..., None]
    return spec * mask, label


ragged = tf.ragged.constant(wavs, dtype=tf.float32)
ds = tf.data.Dataset.from_tensor_slices((ragged, y_all))
ds = ds.map(lambda w, l: (w, l))  # ragged rows come through as dense 1-D
split = int(0.8 * n)
train_ds = (ds.take(split)
            .map(get_log_mel, num_parallel_calls=AUTOTUNE)
            .map(spec_augment, num_parallel_calls=AUTOTUNE)
            .shuffle(256).batch(BATCH).prefetch(AUTOTUNE))
val_ds = ds.skip(split).map(get_log_mel).batch(BATCH)

for spec, lab in train_ds.take(1):
    input_shape = spec.shape[1:]
    print("batch spectrograms:", spec.shape, "labels:", lab.shape)

norm_layer = tf.keras.layers.Normalization()
norm_layer.adapt(train_ds.map(lambda x, _: x).take(4))

model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=input_shape),
    tf.keras.layers.Resizing(32, 32),
    norm_layer,
    tf.keras.layers.Conv2D(32, 3, activation="relu"),
    tf.keras.layers.Conv2D(64, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Dropout(0.25),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(len(LABELS)),
])
model.summary()

model.compile(
    optimizer=tf.keras.optimizers.Adam(),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# inference on a single raw clip, like an "export" wrapper would do
raw = tf.constant(synth_clip(2)[:7000])
spec, _ = get_log_mel(raw, 0)
logits = model(spec[tf.newaxis, ...], training=False)
probs = tf.nn.softmax(logits, axis=-1)
print("single clip spec:", spec.shape, "->", LABELS[int(tf.argmax(probs[0]))], probs.numpy().round(3))
