"""Audio-visual event classification with cross-modal attention fusion.

Two-stream model:
  - audio stream: raw waveform -> log-mel spectrogram (tf.signal, inside a
    layer so it runs on-graph) -> 2D CNN -> sequence of time tokens
  - visual stream: frames -> TimeDistributed 2D CNN -> sequence of frame tokens
  - fusion: bidirectional cross-attention (audio attends to video and vice
    versa), pooled and combined with a learned gate
Auxiliary unimodal heads regularise each stream (common trick to stop one
modality from dominating). Custom train_step with separate loss trackers.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class Config:
    sample_rate = 8000
    clip_seconds = 0.5
    n_fft = 256
    hop = 128
    n_mels = 32
    n_frames = 4
    frame_hw = 32
    d_model = 64
    num_heads = 4
    num_classes = 6
    aux_weight = 0.3
    batch_size = 8
    n_train = 32


C = Config()


class LogMelSpectrogram(layers.Layer):
    def __init__(self, sample_rate, n_fft, hop, n_mels, **kwargs):
        super().__init__(**kwargs)
        self.sample_rate, self.n_fft, self.hop, self.n_mels = sample_rate, n_fft, hop, n_mels
        self.mel_matrix = tf.signal.linear_to_mel_weight_matrix(
            num_mel_bins=n_mels,
            num_spectrogram_bins=n_fft // 2 + 1,
            sample_rate=sample_rate,
            lower_edge_hertz=40.0,
            upper_edge_hertz=sample_rate / 2,
        )

    def call(self, waveform):
        stft = tf.signal.stft(waveform, frame_length=self.n_fft,
                              frame_step=self.hop, fft_length=self.n_fft)
        power = tf.abs(stft) ** 2                                  # (B, T, F)
        mel = tf.tensordot(power, self.mel_matrix, axes=1)         # (B, T, M)
        log_mel = tf.math.log(mel + 1e-6)
        # per-utterance mean/var normalisation
        mean, var = tf.nn.moments(log_mel, axes=[1, 2], keepdims=True)
        log_mel = (log_mel - mean) / tf.sqrt(var + 1e-5)
        return log_mel[..., tf.newaxis]                            # (B, T, M, 1)

    def get_config(self):
        return {**super().get_config(), "sample_rate": self.sample_rate, "n_fft": self.n_fft,
                "hop": self.hop, "n_mels": self.n_mels}


def audio_encoder(d_model):
    return keras.Sequential([
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D((1, 2)),                      # pool only frequency
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(d_model, 3, padding="same", activation="relu"),
        # collapse frequency axis -> time tokens (B, T', d_model)
        layers.Lambda(lambda t: tf.reduce_mean(t, axis=2), name="freq_pool"),
    ], name="audio_encoder")


def frame_cnn(d_model):
    return keras.Sequential([
        layers.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
        layers.Conv2D(d_model, 3, strides=2, padding="same", activation="relu"),
        layers.GlobalAveragePooling2D(),
    ], name="frame_cnn")


class CrossModalBlock(layers.Layer):
    """query modality attends to context modality, pre-norm residual."""

    def __init__(self, d_model, num_heads, **kwargs):
        super().__init__(**kwargs)
        self.norm_q = layers.LayerNormalization()
        self.norm_kv = layers.LayerNormalization()
        self.mha = layers.MultiHeadAttention(num_heads, key_dim=d_model // num_heads)
        self.ff = keras.Sequential([layers.Dense(2 * d_model, activation="gelu"),
                                    layers.Dense(d_model)])
        self.norm_ff = layers.LayerNormalization()

    def call(self, query, context, training=False):
        q = self.norm_q(query)
        kv = self.norm_kv(context)
        x = query + self.mha(q, kv, training=training)
        return x + self.ff(self.norm_ff(x))


class AVFusionNet(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.melspec = LogMelSpectrogram(cfg.sample_rate, cfg.n_fft, cfg.hop, cfg.n_mels)
        self.audio_enc = audio_encoder(cfg.d_model)
        self.video_enc = layers.TimeDistributed(frame_cnn(cfg.d_model), name="video_encoder")
        self.a2v = CrossModalBlock(cfg.d_model, cfg.num_heads, name="audio_to_video")
        self.v2a = CrossModalBlock(cfg.d_model, cfg.num_heads, name="video_to_audio")
        self.gate = layers.Dense(cfg.d_model, activation="sigmoid", name="fusion_gate")
        self.classifier = layers.Dense(cfg.num_classes, name="fused_head")
        self.audio_head = layers.Dense(cfg.num_classes, name="audio_head")
        self.video_head = layers.Dense(cfg.num_classes, name="video_head")

        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.fused_tracker = keras.metrics.Mean(name="fused_loss")
        self.aux_tracker = keras.metrics.Mean(name="aux_loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.total_tracker, self.fused_tracker, self.aux_tracker, self.acc]

    def call(self, inputs, training=False):
        audio_tok = self.audio_enc(self.melspec(inputs["audio"]), training=training)
        video_tok = self.video_enc(inputs["video"], training=training)     # (B, F, D)

        a = self.a2v(audio_tok, video_tok, training=training)
        v = self.v2a(video_tok, audio_tok, training=training)
        a_vec = tf.reduce_mean(a, axis=1)
        v_vec = tf.reduce_mean(v, axis=1)
        g = self.gate(tf.concat([a_vec, v_vec], axis=-1))
        fused = g * a_vec + (1.0 - g) * v_vec
        return {
            "fused": self.classifier(fused),
            "audio": self.audio_head(tf.reduce_mean(audio_tok, axis=1)),
            "video": self.video_head(tf.reduce_mean(video_tok, axis=1)),
        }

    def _multitask_losses(self, y, out):
        fused = self.loss_fn(y, out["fused"])
        aux = 0.5 * (self.loss_fn(y, out["audio"]) + self.loss_fn(y, out["video"]))
        return fused + self.cfg.aux_weight * aux, fused, aux

    def _update(self, y, out, total, fused, aux):
        self.total_tracker.update_state(total)
        self.fused_tracker.update_state(fused)
        self.aux_tracker.update_state(aux)
        self.acc.update_state(y, out["fused"])
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            out = self(x, training=True)
            total, fused, aux = self._multitask_losses(y, out)
        grads = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update(y, out, total, fused, aux)

    def test_step(self, data):
        x, y = data
        out = self(x, training=False)
        total, fused, aux = self._multitask_losses(y, out)
        return self._update(y, out, total, fused, aux)


def synth_av_dataset(cfg, n, seed):
    """Class k -> tone at (300 + 200k) Hz and a flashing patch in quadrant k % 4."""
    rng = np.random.default_rng(seed)
    n_samples = int(cfg.sample_rate * cfg.clip_seconds)
    t = np.arange(n_samples) / cfg.sample_rate
    labels = rng.integers(0, cfg.num_classes, n)
    audio = np.empty((n, n_samples), np.float32)
    video = rng.normal(0, 0.1, (n, cfg.n_frames, cfg.frame_hw, cfg.frame_hw, 3)).astype(np.float32)
    half = cfg.frame_hw // 2
    for i, k in enumerate(labels):
        freq = 300 + 200 * k
        audio[i] = 0.5 * np.sin(2 * np.pi * freq * t) + rng.normal(0, 0.2, n_samples)
        r, c = divmod(int(k) % 4, 2)
        video[i, ::2, r * half:(r + 1) * half, c * half:(c + 1) * half, int(k) % 3] += 1.0
    ds = tf.data.Dataset.from_tensor_slices(({"audio": audio, "video": video},
                                             labels.astype(np.int32)))
    return ds


def main():
    keras.utils.set_random_seed(11)
    train_ds = synth_av_dataset(C, C.n_train, seed=0).shuffle(64).batch(C.batch_size)
    val_ds = synth_av_dataset(C, C.n_train // 4, seed=1).batch(C.batch_size)

    model = AVFusionNet(C, name="av_fusion")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    sample_x, _ = next(iter(train_ds))
    outs = model(sample_x)
    print("spectrogram:", model.melspec(sample_x["audio"]).shape)
    print({k: tuple(v.shape) for k, v in outs.items()})

    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

    # modality-dropout probe: how much does each stream contribute at test time?
    x, y = next(iter(val_ds))
    for name, feed in [("both", x),
                       ("audio only", {"audio": x["audio"], "video": tf.zeros_like(x["video"])}),
                       ("video only", {"audio": tf.zeros_like(x["audio"]), "video": x["video"]})]:
        logits = model(feed, training=False)["fused"]
        acc = float(tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), y),
                                           tf.float32)))
        print(f"{name:>11s}: batch acc = {acc:.3f}")


if __name__ == "__main__":
    main()
