"""Vanilla DQN on a tiny numpy gridworld.

Replay buffer lives in preallocated numpy arrays, the target network is
synced every TARGET_SYNC steps with get_weights/set_weights, and the
update itself is a tf.function with GradientTape.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
GRID = 5
N_ACTIONS = 4          # up, down, left, right
GAMMA = 0.95
LR = 1e-3
BUFFER_SIZE = 2000
BATCH_SIZE = 32
EPISODES = 25
MAX_STEPS = 30
TARGET_SYNC = 50
EPS_START, EPS_END, EPS_DECAY = 1.0, 0.05, 0.97

np.random.seed(SEED)
random.seed(SEED)
tf.random.set_seed(SEED)


class GridWorld:
    """Agent starts top-left, goal bottom-right, a couple of pits in between."""

    MOVES = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}

    def __init__(self, size=GRID):
        self.size = size
        self.goal = (size - 1, size - 1)
        self.pits = {(1, 3), (3, 1)}
        self.pos = (0, 0)

    def reset(self):
        self.pos = (0, 0)
        return self._obs()

    def _obs(self):
        board = np.zeros((self.size, self.size), dtype=np.float32)
        board[self.pos] = 1.0
        board[self.goal] = 0.5
        for p in self.pits:
            board[p] = -0.5
        return board.ravel()

    def step(self, action):
        dr, dc = self.MOVES[int(action)]
        r = int(np.clip(self.pos[0] + dr, 0, self.size - 1))
        c = int(np.clip(self.pos[1] + dc, 0, self.size - 1))
        self.pos = (r, c)
        if self.pos == self.goal:
            return self._obs(), 1.0, True
        if self.pos in self.pits:
            return self._obs(), -1.0, True
        return self._obs(), -0.01, False


class ReplayBuffer:
    def __init__(self, capacity, obs_dim):
        self.capacity = capacity
        self.obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), dtype=np.float32)
        self.actions = np.zeros(capacity, dtype=np.int32)
        self.rewards = np.zeros(capacity, dtype=np.float32)
        self.dones = np.zeros(capacity, dtype=np.float32)
        self.ptr = 0
        self.size = 0

    def add(self, o, a, r, o2, d):
        i = self.ptr
        self.obs[i], self.actions[i], self.rewards[i] = o, a, r
        self.next_obs[i], self.dones[i] = o2, float(d)
        self.ptr = (self.ptr + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        idx = np.random.randint(0, self.size, size=batch_size)
        return (self.obs[idx], self.actions[idx], self.rewards[idx],
                self.next_obs[idx], self.dones[idx])

    def __len__(self):
        return self.size


def build_q_net(obs_dim, n_actions, hidden=(64, 64)):
    inputs = keras.Input(shape=(obs_dim,), name="board")
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    q = layers.Dense(n_actions, name="q_values")(x)
    return keras.Model(inputs, q, name="q_net")


env = GridWorld()
obs_dim = GRID * GRID
q_net = build_q_net(obs_dim, N_ACTIONS)
target_net = build_q_net(obs_dim, N_ACTIONS)
target_net.set_weights(q_net.get_weights())
optimizer = keras.optimizers.Adam(learning_rate=LR)
loss_fn = keras.losses.MeanSquaredError()
buffer = ReplayBuffer(BUFFER_SIZE, obs_dim)


@tf.function
def train_step(obs, actions, rewards, next_obs, dones):
    next_q = target_net(next_obs, training=False)
    targets = rewards + GAMMA * (1.0 - dones) * tf.reduce_max(next_q, axis=1)
    with tf.GradientTape() as tape:
        q_all = q_net(obs, training=True)
        mask = tf.one_hot(actions, N_ACTIONS)
        q_taken = tf.reduce_sum(q_all * mask, axis=1)
        loss = loss_fn(tf.stop_gradient(targets), q_taken)
    grads = tape.gradient(loss, q_net.trainable_variables)
    optimizer.apply_gradients(zip(grads, q_net.trainable_variables))
    return loss


def select_action(obs, epsilon):
    if np.random.rand() < epsilon:
        return np.random.randint(N_ACTIONS)
    q = q_net(obs[None, :], training=False).numpy()[0]
    return int(np.argmax(q))


epsilon = EPS_START
total_steps = 0
history = []
for ep in range(EPISODES):
    obs = env.reset()
    ep_return, losses = 0.0, []
    for t in range(MAX_STEPS):
        a = select_action(obs, epsilon)
        next_obs, r, done = env.step(a)
        buffer.add(obs, a, r, next_obs, done)
        obs = next_obs
        ep_return += r
        total_steps += 1

        if len(buffer) >= BATCH_SIZE:
            batch = [tf.convert_to_tensor(b) for b in buffer.sample(BATCH_SIZE)]
            losses.append(float(train_step(*batch)))

        if total_steps % TARGET_SYNC == 0:
            target_net.set_weights(q_net.get_weights())

        if done:
            break
    epsilon = max(EPS_END, epsilon * EPS_DECAY)
    history.append(ep_return)
    mean_loss = np.mean(losses) if losses else float("nan")
    print(f"ep {ep:02d} | return {ep_return:+.2f} | steps {t + 1:2d} | "
          f"eps {epsilon:.3f} | loss {mean_loss:.4f}")

print(f"mean return over last 5 episodes: {np.mean(history[-5:]):.3f}")
greedy_q = q_net(env.reset()[None, :]).numpy()[0]
print("greedy Q at start:", np.round(greedy_q, 3))
