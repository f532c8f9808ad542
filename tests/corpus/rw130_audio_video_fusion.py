"""Audio-visual event classification with cross-modal attention fusion.

Every clip = 1 s of 8 kHz mono audio + 8 grayscale 24x24 video frames.
Label = 2 * tone_is_high + blob_moves_right, so neither modality alone is
enough to get the 4-way label right; the fusion has to combine them.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SR = 8000
CLIP_SECONDS = 1.0
N_FRAMES = 8
FRAME_HW = 24
N_MELS = 32
N_CLASSES = 4
N_CLIPS = 240
BATCH = 24
D_MODEL = 64

np.random.seed(3)
keras.utils.set_random_seed(3)


def synth_audio(high):
    t = np.arange(int(SR * CLIP_SECONDS)) / SR
    base = np.random.uniform(1800, 2600) if high else np.random.uniform(250, 600)
    tone = np.sin(2 * np.pi * base * t) * np.hanning(len(t))
    # add a burst of noise somewhere as a distractor
    start = np.random.randint(0, len(t) - 800)
    tone[start:start + 800] += np.random.normal(0, 0.5, 800)
    return (tone + np.random.normal(0, 0.05, len(t))).astype("float32")


def synth_video(right):
    frames = np.zeros((N_FRAMES, FRAME_HW, FRAME_HW, 1), "float32")
    row = np.random.randint(4, FRAME_HW - 8)
    xs = np.linspace(2, FRAME_HW - 8, N_FRAMES).astype(int)
    if not right:
        xs = xs[::-1]
    for f, x in enumerate(xs):
        frames[f, row:row + 5, x:x + 5, 0] = 1.0
    return frames + np.random.normal(0, 0.1, frames.shape).astype("float32")


labels = np.random.randint(0, N_CLASSES, N_CLIPS)
audio = np.stack([synth_audio(l // 2) for l in labels])
video = np.stack([synth_video(l % 2) for l in labels])
print("audio", audio.shape, "video", video.shape, "label counts", np.bincount(labels))

MEL_MATRIX = tf.signal.linear_to_mel_weight_matrix(
    num_mel_bins=N_MELS, num_spectrogram_bins=129, sample_rate=SR,
    lower_edge_hertz=60.0, upper_edge_hertz=3800.0,
)


def to_log_mel(wave):
    stft = tf.signal.stft(wave, frame_length=256, frame_step=128, fft_length=256)
    mel = tf.tensordot(tf.abs(stft), MEL_MATRIX, 1)
    logmel = tf.math.log(mel + 1e-6)
    # per-clip standardization
    mean, var = tf.nn.moments(logmel, axes=[0, 1])
    return (logmel - mean) / tf.sqrt(var + 1e-6)


def preprocess(wave, frames, label):
    # random gain and temporal jitter for audio, random brightness for video
    gain = tf.random.uniform([], 0.7, 1.3)
    shift = tf.random.uniform([], -200, 200, dtype=tf.int32)
    wave = tf.roll(wave * gain, shift, axis=0)
    frames = tf.clip_by_value(frames + tf.random.uniform([], -0.1, 0.1), -1.0, 2.0)
    return {"audio": to_log_mel(wave), "video": frames}, label


def eval_preprocess(wave, frames, label):
    return {"audio": to_log_mel(wave), "video": frames}, label


idx = np.random.permutation(N_CLIPS)
tr, va = idx[:192], idx[192:]
train_ds = (tf.data.Dataset.from_tensor_slices((audio[tr], video[tr], labels[tr]))
            .shuffle(256).map(preprocess, num_parallel_calls=2).batch(BATCH).prefetch(2))
val_ds = (tf.data.Dataset.from_tensor_slices((audio[va], video[va], labels[va]))
          .map(eval_preprocess).batch(BATCH))

spec_shape = next(iter(val_ds))[0]["audio"].shape[1:]
print("log-mel shape per clip:", spec_shape)


class AudioEncoder(layers.Layer):
    """1D conv stack over time with mel bins as channels -> sequence of tokens."""

    def __init__(self, d_model, **kwargs):
        super().__init__(**kwargs)
        self.blocks = []
        for width in (48, 64):
            self.blocks += [layers.Conv1D(width, 5, padding="same"), layers.BatchNormalization(),
                            layers.ReLU(), layers.MaxPooling1D(2)]
        self.proj = layers.Dense(d_model)

    def call(self, x, training=False):
        for blk in self.blocks:
            x = blk(x, training=training) if isinstance(blk, layers.BatchNormalization) else blk(x)
        return self.proj(x)


class VideoEncoder(layers.Layer):
    """Per-frame CNN (TimeDistributed) followed by a temporal conv."""

    def __init__(self, d_model, **kwargs):
        super().__init__(**kwargs)
        frame_cnn = keras.Sequential([
            layers.Input((FRAME_HW, FRAME_HW, 1)),
            layers.Conv2D(16, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(),
            layers.Conv2D(32, 3, activation="relu", padding="same"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(d_model, activation="relu"),
        ], name="frame_cnn")
        self.per_frame = layers.TimeDistributed(frame_cnn)
        self.temporal = layers.Conv1D(d_model, 3, padding="same", activation="relu")
        self.pos = self.add_weight(shape=(N_FRAMES, d_model), initializer="random_normal",
                                   name="frame_pos")

    def call(self, x):
        x = self.per_frame(x)
        return self.temporal(x) + self.pos


class CrossModalFusion(layers.Layer):
    def __init__(self, d_model, heads=4, **kwargs):
        super().__init__(**kwargs)
        self.v2a = layers.MultiHeadAttention(heads, d_model // heads)
        self.a2v = layers.MultiHeadAttention(heads, d_model // heads)
        self.norm_v = layers.LayerNormalization()
        self.norm_a = layers.LayerNormalization()
        self.gate = layers.Dense(d_model, activation="sigmoid")

    def call(self, v_tokens, a_tokens):
        v = self.norm_v(v_tokens + self.v2a(v_tokens, a_tokens))  # video queries audio
        a = self.norm_a(a_tokens + self.a2v(a_tokens, v_tokens))  # audio queries video
        v_pool = keras.ops.mean(v, axis=1)
        a_pool = keras.ops.mean(a, axis=1)
        g = self.gate(keras.ops.concatenate([v_pool, a_pool], -1))
        return g * v_pool + (1.0 - g) * a_pool, g


class AVClassifier(keras.Model):
    def __init__(self, d_model=D_MODEL, n_classes=N_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.audio_enc = AudioEncoder(d_model, name="audio_enc")
        self.video_enc = VideoEncoder(d_model, name="video_enc")
        self.fusion = CrossModalFusion(d_model, name="xmodal")
        self.drop = layers.Dropout(0.2)
        self.head = layers.Dense(n_classes)

    def call(self, inputs, training=False):
        a = self.audio_enc(inputs["audio"], training=training)
        v = self.video_enc(inputs["video"])
        fused, _ = self.fusion(v, a)
        return self.head(self.drop(fused, training=training))

    def gate_values(self, inputs):
        a = self.audio_enc(inputs["audio"])
        v = self.video_enc(inputs["video"])
        return self.fusion(v, a)[1]


model = AVClassifier()
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)]
hist = model.fit(train_ds, validation_data=val_ds, epochs=2, callbacks=callbacks, verbose=2)
print({k: [round(v, 4) for v in vals] for k, vals in hist.history.items()})

batch_x, batch_y = next(iter(val_ds))
logits = model(batch_x)
pred = tf.argmax(logits, -1).numpy()
gates = model.gate_values(batch_x).numpy().mean(axis=1)
confusion = tf.math.confusion_matrix(batch_y, pred, num_classes=N_CLASSES).numpy()
print("confusion matrix (first val batch):\n", confusion)
print(f"mean video gate: {gates.mean():.3f} (1.0 = all video, 0.0 = all audio)")
