"""Next-note prediction for symbolic music with per-feature embeddings.

Every note is a (pitch, duration) pair.  Each feature has its own Embedding;
the two embeddings are concatenated per time step and fed to a stateless
LSTM.  Two softmax heads predict the next pitch and the next duration.
Generation re-feeds a sliding window to the stateless model and samples
each feature with a temperature.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_PITCHES = 50        # e.g. MIDI 40..89 shifted to 0..49
N_DURATIONS = 8       # quantised duration classes (16th .. whole)
WINDOW = 24
PITCH_DIM = 24
DUR_DIM = 8
LSTM_UNITS = 64
BATCH = 32


def fake_melodies(n_songs, length, rng):
    """Random walk melodies with a small set of rhythmic values."""
    songs = []
    for _ in range(n_songs):
        steps = rng.choice([-2, -1, 0, 1, 2, 3, -3], size=length)
        pitch = np.clip(25 + np.cumsum(steps), 0, N_PITCHES - 1)
        dur = rng.choice(N_DURATIONS, size=length, p=[.05, .3, .3, .15, .1, .05, .03, .02])
        songs.append(np.stack([pitch, dur], axis=-1).astype("int32"))
    return songs


def windows_from_songs(songs):
    xs_p, xs_d, ys_p, ys_d = [], [], [], []
    for song in songs:
        for start in range(0, len(song) - WINDOW - 1, 4):
            chunk = song[start:start + WINDOW + 1]
            xs_p.append(chunk[:-1, 0])
            xs_d.append(chunk[:-1, 1])
            ys_p.append(chunk[-1, 0])
            ys_d.append(chunk[-1, 1])
    return ({"pitch_in": np.array(xs_p), "dur_in": np.array(xs_d)},
            {"next_pitch": np.array(ys_p), "next_dur": np.array(ys_d)})


def build_model():
    pitch_in = keras.Input(shape=(WINDOW,), dtype="int32", name="pitch_in")
    dur_in = keras.Input(shape=(WINDOW,), dtype="int32", name="dur_in")
    p = layers.Embedding(N_PITCHES, PITCH_DIM, name="pitch_emb")(pitch_in)
    d = layers.Embedding(N_DURATIONS, DUR_DIM, name="dur_emb")(dur_in)
    x = layers.Concatenate(axis=-1, name="note_features")([p, d])
    x = layers.LSTM(LSTM_UNITS, return_sequences=True, name="lstm_1")(x)
    x = layers.LSTM(LSTM_UNITS, name="lstm_2")(x)
    x = layers.Dropout(0.2)(x)
    next_pitch = layers.Dense(N_PITCHES, activation="softmax",
                              name="next_pitch")(x)
    next_dur = layers.Dense(N_DURATIONS, activation="softmax",
                            name="next_dur")(x)
    return keras.Model([pitch_in, dur_in], [next_pitch, next_dur],
                       name="note_lstm")


def sample_with_temperature(probs, temperature, rng):
    probs = np.asarray(probs, dtype="float64")
    logits = np.log(np.maximum(probs, 1e-9)) / max(temperature, 1e-3)
    logits -= logits.max()
    scaled = np.exp(logits)
    scaled /= scaled.sum()
    return int(rng.choice(len(scaled), p=scaled))


def generate(model, seed_notes, n_new, temperature, rng):
    """Autoregressively extend `seed_notes` (shape (WINDOW, 2))."""
    notes = [tuple(n) for n in seed_notes]
    for _ in range(n_new):
        window = np.array(notes[-WINDOW:], dtype="int32")
        inputs = {"pitch_in": window[None, :, 0], "dur_in": window[None, :, 1]}
        pitch_probs, dur_probs = model(inputs, training=False)
        pitch = sample_with_temperature(pitch_probs[0], temperature, rng)
        dur = sample_with_temperature(dur_probs[0], temperature, rng)
        notes.append((pitch, dur))
    return np.array(notes[len(seed_notes):], dtype="int32")


def main():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(5)
    songs = fake_melodies(6, 120, rng)
    x, y = windows_from_songs(songs)
    print("training windows:", x["pitch_in"].shape)

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"next_pitch": "sparse_categorical_crossentropy",
              "next_dur": "sparse_categorical_crossentropy"},
        loss_weights={"next_pitch": 1.0, "next_dur": 0.5},
        metrics={"next_pitch": "sparse_categorical_accuracy",
                 "next_dur": "sparse_categorical_accuracy"},
    )
    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(512, seed=5).batch(BATCH).take(5))
    model.fit(ds, epochs=1, verbose=2)

    seed = songs[0][:WINDOW]
    for temp in (0.5, 1.0, 1.5):
        gen = generate(model, seed, n_new=8, temperature=temp, rng=rng)
        assert gen.shape == (8, 2)
        assert gen[:, 0].max() < N_PITCHES and gen[:, 1].max() < N_DURATIONS
        print(f"T={temp}: pitches={gen[:, 0].tolist()} durs={gen[:, 1].tolist()}")

    # Low temperature should be (nearly) greedy.
    probs = np.array([0.1, 0.6, 0.3])
    picks = [sample_with_temperature(probs, 0.01, rng) for _ in range(20)]
    assert set(picks) == {1}


if __name__ == "__main__":
    main()
