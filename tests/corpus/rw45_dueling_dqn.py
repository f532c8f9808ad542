"""Dueling Double-DQN on a pixel gridworld.

The observation is a small (H, W, 3) grid image (agent / goal / walls channels),
encoded by a conv torso and split into value and advantage streams:

    Q(s, a) = V(s) + A(s, a) - mean_a' A(s, a')

Targets use the Double-DQN trick (online net picks argmax, target net evaluates)
and the target network follows the online one with Polyak averaging.
"""
from dataclasses import dataclass

import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf


@dataclass
class Config:
    grid_size: int = 7
    num_actions: int = 4
    gamma: float = 0.97
    lr: float = 5e-4
    tau: float = 0.02
    batch_size: int = 32
    buffer_capacity: int = 2048
    learning_starts: int = 80
    train_every: int = 4
    total_steps: int = 300
    max_episode_len: int = 40
    eps_final: float = 0.1
    seed: int = 123


CFG = Config()
rng = np.random.default_rng(CFG.seed)
keras.utils.set_random_seed(CFG.seed)


# ---------------------------------------------------------------------------
# Environment
# ---------------------------------------------------------------------------
class PixelGridWorld:
    MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]])  # up, down, left, right

    def __init__(self, size, max_len):
        self.size = size
        self.max_len = max_len
        self.walls = np.zeros((size, size), dtype=bool)
        self.walls[size // 2, 1:size - 1] = True
        self.walls[size // 2, size // 2] = False  # a doorway

    def _obs(self):
        img = np.zeros((self.size, self.size, 3), dtype=np.float32)
        img[self.agent[0], self.agent[1], 0] = 1.0
        img[self.goal[0], self.goal[1], 1] = 1.0
        img[..., 2] = self.walls.astype(np.float32)
        return img

    def _free_cell(self):
        while True:
            cell = rng.integers(0, self.size, size=2)
            if not self.walls[cell[0], cell[1]]:
                return cell

    def reset(self):
        self.t = 0
        self.agent = self._free_cell()
        self.goal = self._free_cell()
        return self._obs()

    def step(self, action):
        self.t += 1
        nxt = np.clip(self.agent + self.MOVES[action], 0, self.size - 1)
        if not self.walls[nxt[0], nxt[1]]:
            self.agent = nxt
        reached = np.array_equal(self.agent, self.goal)
        reward = 1.0 if reached else -0.01
        done = reached or self.t >= self.max_len
        return self._obs(), reward, done


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class DuelingHead(layers.Layer):
    """Combines a value stream and an advantage stream into Q-values."""

    def __init__(self, num_actions, hidden=64, **kwargs):
        super().__init__(**kwargs)
        self.num_actions = num_actions
        self.hidden = hidden

    def build(self, input_shape):
        feat_dim = input_shape[-1]
        self.value_hidden = layers.Dense(self.hidden, activation="relu", name="v_hidden")
        self.adv_hidden = layers.Dense(self.hidden, activation="relu", name="a_hidden")
        self.value_out = layers.Dense(1, name="v_out")
        self.adv_out = layers.Dense(self.num_actions, name="a_out")
        self.value_hidden.build((None, feat_dim))
        self.adv_hidden.build((None, feat_dim))
        self.value_out.build((None, self.hidden))
        self.adv_out.build((None, self.hidden))
        super().build(input_shape)

    def call(self, features):
        v = self.value_out(self.value_hidden(features))           # (B, 1)
        a = self.adv_out(self.adv_hidden(features))               # (B, A)
        a_centered = a - ops.mean(a, axis=-1, keepdims=True)      # identifiability
        return v + a_centered                                     # broadcast -> (B, A)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_actions=self.num_actions, hidden=self.hidden)
        return cfg


class DuelingQNetwork(keras.Model):
    def __init__(self, num_actions, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(16, 3, padding="same", activation="relu")
        self.conv2 = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")
        self.flatten = layers.Flatten()
        self.head = DuelingHead(num_actions)

    def call(self, obs, training=False):
        x = self.conv1(obs)
        x = self.conv2(x)
        x = self.flatten(x)
        return self.head(x)


def soft_update(target, online, tau):
    for t_var, o_var in zip(target.weights, online.weights):
        t_var.assign(tau * o_var + (1.0 - tau) * t_var)


# ---------------------------------------------------------------------------
# Replay memory (struct-of-arrays)
# ---------------------------------------------------------------------------
class Memory:
    def __init__(self, capacity, obs_shape):
        self.obs = np.empty((capacity, *obs_shape), np.float32)
        self.next_obs = np.empty((capacity, *obs_shape), np.float32)
        self.act = np.empty((capacity,), np.int64)
        self.rew = np.empty((capacity,), np.float32)
        self.done = np.empty((capacity,), np.float32)
        self.capacity, self.n, self.i = capacity, 0, 0

    def push(self, o, a, r, o2, d):
        self.obs[self.i], self.act[self.i], self.rew[self.i] = o, a, r
        self.next_obs[self.i], self.done[self.i] = o2, d
        self.i = (self.i + 1) % self.capacity
        self.n = min(self.n + 1, self.capacity)

    def sample(self, k):
        idx = rng.choice(self.n, size=k, replace=False)
        return self.obs[idx], self.act[idx], self.rew[idx], self.next_obs[idx], self.done[idx]


env = PixelGridWorld(CFG.grid_size, CFG.max_episode_len)
obs_shape = (CFG.grid_size, CFG.grid_size, 3)

online = DuelingQNetwork(CFG.num_actions, name="online")
target = DuelingQNetwork(CFG.num_actions, name="target")
dummy = np.zeros((1, *obs_shape), np.float32)
online(dummy)
target(dummy)
target.set_weights(online.get_weights())
online.summary()

opt = keras.optimizers.Adam(CFG.lr)


@tf.function
def learn(obs, act, rew, next_obs, done):
    # Double DQN: select with online, evaluate with target
    next_online_q = online(next_obs)
    next_actions = ops.argmax(next_online_q, axis=-1)
    next_target_q = target(next_obs)
    next_q = ops.take_along_axis(next_target_q, ops.expand_dims(next_actions, -1), axis=-1)
    next_q = ops.squeeze(next_q, -1)
    y = rew + CFG.gamma * (1.0 - done) * next_q

    with tf.GradientTape() as tape:
        q = online(obs, training=True)
        q_sa = ops.squeeze(ops.take_along_axis(q, ops.expand_dims(act, -1), axis=-1), -1)
        td_error = ops.stop_gradient(y) - q_sa
        loss = ops.mean(ops.where(ops.abs(td_error) < 1.0,
                                  0.5 * ops.square(td_error),
                                  ops.abs(td_error) - 0.5))
    grads = tape.gradient(loss, online.trainable_variables)
    opt.apply_gradients(zip(grads, online.trainable_variables))
    return loss, ops.mean(ops.abs(td_error))


memory = Memory(CFG.buffer_capacity, obs_shape)
obs = env.reset()
ep_ret, ep_count, recent = 0.0, 0, []
for step in range(1, CFG.total_steps + 1):
    eps = max(CFG.eps_final, 1.0 - step / (0.6 * CFG.total_steps))
    if rng.random() < eps:
        action = int(rng.integers(CFG.num_actions))
    else:
        action = int(np.argmax(online(obs[None])[0]))

    next_obs, reward, done = env.step(action)
    memory.push(obs, action, reward, next_obs, float(done))
    obs, ep_ret = next_obs, ep_ret + reward

    if done:
        recent.append(ep_ret)
        ep_count += 1
        obs, ep_ret = env.reset(), 0.0

    if step >= CFG.learning_starts and step % CFG.train_every == 0:
        loss, td = learn(*memory.sample(CFG.batch_size))
        soft_update(target, online, CFG.tau)

    if step % 100 == 0 and step >= CFG.learning_starts:
        print(f"step {step:4d} | episodes {ep_count:3d} | eps {eps:.2f} | "
              f"loss {float(loss):.4f} | |td| {float(td):.3f} | "
              f"mean return {np.mean(recent[-10:]) if recent else 0.0:.3f}")

# Inspect Q-values for a single state: V + centred A
q_example = online(obs[None])
print("Q(s, .) =", np.round(ops.convert_to_numpy(q_example)[0], 3))
