"""DeepSpeech2-style ASR model trained with CTC loss.

Conv2D front end over the spectrogram, then stacked bidirectional GRUs and a
per-frame softmax over characters. Follows the Keras "CTC ASR" example layout
(LJSpeech), but uses random audio/transcripts so it runs without downloads.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "sample_rate": 8000,
    "frame_length": 256,
    "frame_step": 160,
    "fft_length": 256,
    "rnn_units": 32,
    "rnn_layers": 2,
    "conv_filters": 16,
    "batch_size": 4,
    "num_examples": 12,
    "max_audio_seconds": 1.2,
    "max_label_len": 12,
    "learning_rate": 1e-4,
}

characters = list("abcdefghijklmnopqrstuvwxyz'?! ")
char_to_num = layers.StringLookup(vocabulary=characters, oov_token="")
num_to_char = layers.StringLookup(
    vocabulary=char_to_num.get_vocabulary(), oov_token="", invert=True
)
print(
    f"The vocabulary is: {char_to_num.get_vocabulary()} "
    f"(size ={char_to_num.vocabulary_size()})"
)


def random_transcripts(n, max_len, rng):
    words = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far"]
    out = []
    for _ in range(n):
        s = " ".join(rng.choice(words, size=rng.integers(1, 4)))
        out.append(s[:max_len])
    return out


def encode_single_sample(audio, label, cfg=CONFIG):
    # normalise audio per utterance
    audio = tf.cast(audio, tf.float32)
    spectrogram = tf.signal.stft(
        audio,
        frame_length=cfg["frame_length"],
        frame_step=cfg["frame_step"],
        fft_length=cfg["fft_length"],
    )
    spectrogram = tf.abs(spectrogram)
    spectrogram = tf.math.pow(spectrogram, 0.5)
    means = tf.math.reduce_mean(spectrogram, 1, keepdims=True)
    stddevs = tf.math.reduce_std(spectrogram, 1, keepdims=True)
    spectrogram = (spectrogram - means) / (stddevs + 1e-10)

    label = tf.strings.lower(label)
    label = tf.strings.unicode_split(label, input_encoding="UTF-8")
    label = char_to_num(label)
    return spectrogram, label


def make_dataset(cfg):
    rng = np.random.default_rng(7)
    n = cfg["num_examples"]
    n_samples = int(cfg["sample_rate"] * cfg["max_audio_seconds"])
    audio = rng.normal(size=(n, n_samples)).astype("float32") * 0.1
    texts = random_transcripts(n, cfg["max_label_len"], rng)
    ds = tf.data.Dataset.from_tensor_slices((audio, texts))
    ds = (
        ds.map(encode_single_sample, num_parallel_calls=tf.data.AUTOTUNE)
        .padded_batch(cfg["batch_size"])
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )
    return ds


def CTCLoss(y_true, y_pred):
    """CTC loss on softmax outputs; padding id 0 is excluded from label lengths."""
    batch_len = tf.shape(y_true)[0]
    y_true = tf.cast(y_true, tf.int32)
    input_length = tf.fill([batch_len], tf.shape(y_pred)[1])
    label_length = tf.reduce_sum(tf.cast(tf.not_equal(y_true, 0), tf.int32), axis=-1)

    # tf.nn.ctc_loss wants time-major log-probs; blank is the last class.
    log_probs = tf.math.log(tf.transpose(y_pred, [1, 0, 2]) + keras.backend.epsilon())
    loss = tf.nn.ctc_loss(
        labels=y_true,
        logits=log_probs,
        label_length=label_length,
        logit_length=input_length,
        logits_time_major=True,
        blank_index=-1,
    )
    return tf.expand_dims(loss, 1)


def build_model(input_dim, output_dim, cfg):
    rnn_units = cfg["rnn_units"]
    input_spectrogram = layers.Input((None, input_dim), name="input")
    # Expand the dimension to use 2D CNN.
    x = layers.Reshape((-1, input_dim, 1), name="expand_dim")(input_spectrogram)
    x = layers.Conv2D(
        filters=cfg["conv_filters"],
        kernel_size=[11, 41],
        strides=[2, 2],
        padding="same",
        use_bias=False,
        name="conv_1",
    )(x)
    x = layers.BatchNormalization(name="conv_1_bn")(x)
    x = layers.ReLU(name="conv_1_relu")(x)
    x = layers.Conv2D(
        filters=cfg["conv_filters"],
        kernel_size=[11, 21],
        strides=[1, 2],
        padding="same",
        use_bias=False,
        name="conv_2",
    )(x)
    x = layers.BatchNormalization(name="conv_2_bn")(x)
    x = layers.ReLU(name="conv_2_relu")(x)
    # Reshape to feed to the RNN: (batch, time, freq * channels)
    x = layers.Reshape((-1, x.shape[-2] * x.shape[-1]))(x)
    for i in range(1, cfg["rnn_layers"] + 1):
        recurrent = layers.GRU(
            units=rnn_units,
            activation="tanh",
            recurrent_activation="sigmoid",
            use_bias=True,
            return_sequences=True,
            reset_after=True,
            name=f"gru_{i}",
        )
        x = layers.Bidirectional(recurrent, name=f"bidirectional_{i}", merge_mode="concat")(x)
        if i < cfg["rnn_layers"]:
            x = layers.Dropout(rate=0.5)(x)
    x = layers.Dense(units=rnn_units * 2, name="dense_1")(x)
    x = layers.ReLU(name="dense_1_relu")(x)
    x = layers.Dropout(rate=0.5)(x)
    # +1 for the CTC blank
    output = layers.Dense(units=output_dim + 1, activation="softmax")(x)
    model = keras.Model(input_spectrogram, output, name="DeepSpeech_2")
    opt = keras.optimizers.Adam(learning_rate=cfg["learning_rate"])
    model.compile(optimizer=opt, loss=CTCLoss)
    return model


def decode_batch_predictions(pred):
    input_len = np.ones(pred.shape[0]) * pred.shape[1]
    decoded, _ = keras.ops.ctc_decode(pred, sequence_lengths=input_len, strategy="greedy")
    results = decoded[0]
    output_text = []
    for result in results:
        result = tf.strings.reduce_join(num_to_char(result)).numpy().decode("utf-8")
        output_text.append(result)
    return output_text


def main(cfg=CONFIG):
    ds = make_dataset(cfg)
    for spec, lab in ds.take(1):
        print("spectrogram batch", spec.shape, "labels", lab.shape)

    fft_bins = cfg["fft_length"] // 2 + 1
    model = build_model(fft_bins, char_to_num.vocabulary_size(), cfg)
    model.summary(line_length=100)
    model.fit(ds, epochs=1, verbose=2)

    for spec, lab in ds.take(1):
        preds = model.predict(spec, verbose=0)
        hyps = decode_batch_predictions(preds)
        for h, l in zip(hyps[:2], lab[:2]):
            ref = tf.strings.reduce_join(num_to_char(l)).numpy().decode("utf-8")
            print(f"REF: {ref!r:20s} HYP: {h!r}")


if __name__ == "__main__":
    main()
