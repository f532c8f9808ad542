"""Offline (batch) Q-learning: fitted Q iteration with model.fit.

1. roll out a random behaviour policy on a numpy FrozenLake-style map and
   store every transition in numpy arrays
2. each FQI round: freeze a copy of the Q-network (clone_model +
   set_weights), then fit the online model for one epoch on a tf.data
   pipeline whose Bellman targets come from the frozen copy
3. evaluate the greedy policy from the learned Q table
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

LAKE = [
    "SFFF",
    "FHFH",
    "FFFH",
    "HFFG",
]
N_ROWS, N_COLS = len(LAKE), len(LAKE[0])
N_STATES, N_ACTIONS = N_ROWS * N_COLS, 4
SLIP = 0.1
GAMMA = 0.9
N_TRANSITIONS = 3000
FQI_ROUNDS = 6
BATCH_SIZE = 128

np.random.seed(42)
tf.random.set_seed(42)

tiles = np.array([list(row) for row in LAKE])
MOVES = np.array([[0, -1], [1, 0], [0, 1], [-1, 0]])  # left, down, right, up


def env_step(state, action):
    r, c = divmod(state, N_COLS)
    if np.random.rand() < SLIP:
        action = np.random.randint(N_ACTIONS)
    nr = min(max(r + MOVES[action][0], 0), N_ROWS - 1)
    nc = min(max(c + MOVES[action][1], 0), N_COLS - 1)
    tile = tiles[nr, nc]
    reward = 1.0 if tile == "G" else 0.0
    done = tile in ("G", "H")
    return nr * N_COLS + nc, reward, done


def collect_random(n):
    """Random behaviour policy; reset to a random non-terminal tile after each terminal."""
    safe = [i for i, t in enumerate(tiles.ravel()) if t in "SF"]
    S, A, R, S2, D = (np.zeros(n, dt) for dt in (np.int32, np.int32, np.float32, np.int32, np.float32))
    s = 0
    for i in range(n):
        a = np.random.randint(N_ACTIONS)
        s2, r, d = env_step(s, a)
        S[i], A[i], R[i], S2[i], D[i] = s, a, r, s2, d
        s = np.random.choice(safe) if d else s2
    return S, A, R, S2, D


def encode(states):
    """one-hot state + (row, col) normalised coordinates."""
    states = np.asarray(states)
    onehot = np.eye(N_STATES, dtype=np.float32)[states]
    coords = np.stack(divmod(states, N_COLS), axis=-1).astype(np.float32) / 3.0
    return np.concatenate([onehot, coords], axis=-1)


class MaskedQModel(keras.Model):
    """Q-network whose train_step regresses only Q(s, a_taken) onto the target."""

    def train_step(self, data):
        (obs, actions), targets = data
        with tf.GradientTape() as tape:
            q = self(obs, training=True)
            q_taken = tf.gather(q, actions, batch_dims=1)
            loss = self.compute_loss(y=targets, y_pred=q_taken)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(targets, q_taken)
        return {m.name: m.result() for m in self.metrics}


def build_model():
    inp = keras.Input(shape=(N_STATES + 2,))
    h = layers.Dense(64, activation="relu")(inp)
    h = layers.Dense(64, activation="relu")(h)
    out = layers.Dense(N_ACTIONS)(h)
    model = MaskedQModel(inp, out, name="fqi_q")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse",
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    return model


S, A, R, S2, D = collect_random(N_TRANSITIONS)
print(f"collected {len(S)} transitions, goal reached {int(R.sum())} times, "
      f"terminal rate {D.mean():.2%}")
obs, next_obs = encode(S), encode(S2)

q_model = build_model()
frozen = keras.models.clone_model(q_model)
frozen.build((None, N_STATES + 2))

for rnd in range(FQI_ROUNDS):
    frozen.set_weights(q_model.get_weights())
    next_q = frozen.predict(next_obs, batch_size=512, verbose=0)
    targets = (R + GAMMA * (1.0 - D) * next_q.max(axis=1)).astype(np.float32)

    ds = (tf.data.Dataset.from_tensor_slices(((obs, A), targets))
          .shuffle(N_TRANSITIONS, reshuffle_each_iteration=True)
          .batch(BATCH_SIZE)
          .prefetch(tf.data.AUTOTUNE))
    hist = q_model.fit(ds, epochs=2, verbose=0)
    print(f"round {rnd}: mean target {targets.mean():.4f} "
          f"loss {hist.history['loss'][-1]:.5f} mae {hist.history['mae'][-1]:.4f}")

q_table = q_model.predict(encode(np.arange(N_STATES)), verbose=0)
arrows = np.array(["<", "v", ">", "^"])
policy = arrows[q_table.argmax(axis=1)].reshape(N_ROWS, N_COLS)
policy = np.where(np.isin(tiles, ["H", "G"]), tiles, policy)
print("greedy policy:")
print("\n".join(" ".join(row) for row in policy))
print("V(s):")
print(np.round(q_table.max(axis=1).reshape(N_ROWS, N_COLS), 3))


def evaluate(n_episodes=100, max_len=50):
    wins = 0
    for _ in range(n_episodes):
        s = 0
        for _ in range(max_len):
            s, r, d = env_step(s, int(q_table[s].argmax()))
            if d:
                wins += int(r > 0)
                break
    return wins / n_episodes


print(f"greedy success rate: {evaluate():.2f}")

ckpt = os.path.join(tempfile.gettempdir(), "rw134_fqi.weights.h5")
q_model.save_weights(ckpt)
restored = build_model()
restored.load_weights(ckpt)
same = np.allclose(restored.predict(obs[:8], verbose=0), q_model.predict(obs[:8], verbose=0))
print(f"weights saved to {ckpt}, reload matches: {same}")
