"""Atari-style convolutional DQN on tiny synthetic frame stacks, with a
proportional prioritized replay buffer (plain numpy, no sum-tree),
importance-sampling weights, n-step returns and a cloned target network.
"""
import collections

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

FRAME = 32
STACK = 4
N_ACTIONS = 5
N_STEP = 3
GAMMA = 0.99

PER = dict(capacity=1024, alpha=0.6, beta0=0.4, beta_steps=200, eps=1e-3)
TRAIN = dict(prefill=300, updates=60, batch=32, lr=2.5e-4, target_every=20)

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


# --------------------------------------------------------------------------
# synthetic "game": a bright blob drifts around; acting toward it is rewarded
# --------------------------------------------------------------------------
MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])


def render(pos):
    yy, xx = np.mgrid[0:FRAME, 0:FRAME]
    blob = np.exp(-((yy - pos[0]) ** 2 + (xx - pos[1]) ** 2) / 6.0)
    noise = rng.random((FRAME, FRAME)) * 0.1
    return np.clip((blob + noise) * 255, 0, 255).astype(np.uint8)


def synthetic_trajectory(length):
    pos = rng.integers(4, FRAME - 4, size=2)
    frames = collections.deque([render(pos)] * STACK, maxlen=STACK)
    for _ in range(length):
        state = np.stack(frames, axis=-1)
        action = int(rng.integers(N_ACTIONS))
        drift = rng.integers(-1, 2, size=2)
        center = np.array([FRAME // 2, FRAME // 2])
        before = np.abs(pos - center).sum()
        pos = np.clip(pos + drift + MOVES[action] * 2, 0, FRAME - 1)
        reward = float(before - np.abs(pos - center).sum()) / 4.0
        frames.append(render(pos))
        yield state, action, reward, np.stack(frames, axis=-1), False


# --------------------------------------------------------------------------
class PrioritizedReplay:
    def __init__(self, capacity, alpha, eps):
        self.capacity, self.alpha, self.eps = capacity, alpha, eps
        self.obs = np.zeros((capacity, FRAME, FRAME, STACK), np.uint8)
        self.next_obs = np.zeros_like(self.obs)
        self.act = np.zeros(capacity, np.int32)
        self.ret = np.zeros(capacity, np.float32)
        self.disc = np.zeros(capacity, np.float32)   # gamma^n * (1 - done)
        self.prio = np.zeros(capacity, np.float64)
        self.pos, self.full = 0, False

    def __len__(self):
        return self.capacity if self.full else self.pos

    def add(self, o, a, r_n, o_n, discount):
        i = self.pos
        max_p = self.prio[: len(self)].max() if len(self) else 1.0
        self.obs[i], self.act[i], self.ret[i] = o, a, r_n
        self.next_obs[i], self.disc[i], self.prio[i] = o_n, discount, max_p
        self.pos = (self.pos + 1) % self.capacity
        self.full = self.full or self.pos == 0

    def sample(self, batch, beta):
        p = self.prio[: len(self)] ** self.alpha
        p /= p.sum()
        idx = rng.choice(len(self), size=batch, p=p)
        w = (len(self) * p[idx]) ** (-beta)
        w = (w / w.max()).astype(np.float32)
        return idx, (self.obs[idx], self.act[idx], self.ret[idx],
                     self.next_obs[idx], self.disc[idx], w)

    def update_priorities(self, idx, td_errors):
        self.prio[idx] = np.abs(td_errors) + self.eps


def n_step_transitions(traj, n, gamma):
    """Fold a 1-step trajectory into n-step transitions."""
    window = collections.deque(maxlen=n)
    for tr in traj:
        window.append(tr)
        if len(window) == n:
            o, a = window[0][0], window[0][1]
            r_n = sum((gamma ** k) * w[2] for k, w in enumerate(window))
            done = any(w[4] for w in window)
            yield o, a, r_n, window[-1][3], 0.0 if done else gamma ** n


# --------------------------------------------------------------------------
def nature_cnn(n_actions):
    return keras.Sequential([
        keras.Input((FRAME, FRAME, STACK), dtype="uint8"),
        layers.Rescaling(1.0 / 255),
        layers.Conv2D(16, 5, strides=2, activation="relu"),
        layers.Conv2D(32, 3, strides=2, activation="relu"),
        layers.Conv2D(32, 3, strides=1, activation="relu"),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dense(n_actions),
    ], name="conv_q")


q_model = nature_cnn(N_ACTIONS)
target_model = keras.models.clone_model(q_model)
target_model.set_weights(q_model.get_weights())
opt = keras.optimizers.Adam(TRAIN["lr"], epsilon=1e-4)


@tf.function
def learn(obs, act, ret, next_obs, disc, is_w):
    next_a = tf.argmax(q_model(next_obs), axis=1, output_type=tf.int32)
    next_q = tf.gather(target_model(next_obs), next_a, axis=1, batch_dims=1)
    target = ret + disc * next_q
    with tf.GradientTape() as tape:
        q = tf.gather(q_model(obs, training=True), act, axis=1, batch_dims=1)
        td = target - q
        abs_td = tf.abs(td)
        huber = tf.where(abs_td < 1.0, 0.5 * tf.square(td), abs_td - 0.5)
        loss = tf.reduce_mean(is_w * huber)
    grads = tape.gradient(loss, q_model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    opt.apply_gradients(zip(grads, q_model.trainable_variables))
    return loss, td


def main():
    buf = PrioritizedReplay(PER["capacity"], PER["alpha"], PER["eps"])
    while len(buf) < TRAIN["prefill"]:
        for tr in n_step_transitions(synthetic_trajectory(50), N_STEP, GAMMA):
            buf.add(*tr)
    print(f"replay prefilled with {len(buf)} n-step transitions "
          f"(obs {buf.obs.shape[1:]}, {buf.obs.nbytes / 1e6:.1f} MB)")

    for u in range(1, TRAIN["updates"] + 1):
        beta = min(1.0, PER["beta0"] + (1.0 - PER["beta0"]) * u / PER["beta_steps"])
        idx, batch = buf.sample(TRAIN["batch"], beta)
        loss, td = learn(*map(tf.convert_to_tensor, batch))
        buf.update_priorities(idx, td.numpy())
        if u % TRAIN["target_every"] == 0:
            target_model.set_weights(q_model.get_weights())
            pr = buf.prio[: len(buf)]
            print(f"update {u:3d}  loss={float(loss):.4f}  beta={beta:.2f}  "
                  f"prio[min/mean/max]={pr.min():.3f}/{pr.mean():.3f}/{pr.max():.3f}")


if __name__ == "__main__":
    main()
