"""
Tiny DQN on a hand-rolled grid world.
Started as a weekend project after reading the Atari DQN paper -- the env is
deliberately dumb so I can debug the agent rather than the environment.
"""
import random
import argparse
from collections import deque

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class GridWorld:
    """5x5 grid, agent starts top-left, goal bottom-right, a couple of pits."""

    ACTIONS = {0: (-1, 0), 1: (1, 0), 2: (0, -1), 3: (0, 1)}  # up, down, left, right

    def __init__(self, size=5, pits=((1, 3), (3, 1)), max_steps=30):
        self.size = size
        self.pits = set(pits)
        self.goal = (size - 1, size - 1)
        self.max_steps = max_steps
        self.reset()

    def reset(self):
        self.pos = (0, 0)
        self.t = 0
        return self._obs()

    def _obs(self):
        # 3 channels: agent, goal, pits -- flattened for the MLP
        grid = np.zeros((3, self.size, self.size), dtype=np.float32)
        grid[0][self.pos] = 1.0
        grid[1][self.goal] = 1.0
        for p in self.pits:
            grid[2][p] = 1.0
        return grid.reshape(-1)

    def step(self, action):
        dr, dc = self.ACTIONS[int(action)]
        r = int(np.clip(self.pos[0] + dr, 0, self.size - 1))
        c = int(np.clip(self.pos[1] + dc, 0, self.size - 1))
        self.pos = (r, c)
        self.t += 1

        reward, done = -0.01, False
        if self.pos == self.goal:
            reward, done = 1.0, True
        elif self.pos in self.pits:
            reward, done = -1.0, True
        if self.t >= self.max_steps:
            done = True
        return self._obs(), reward, done

    @property
    def obs_dim(self):
        return 3 * self.size * self.size

    @property
    def n_actions(self):
        return len(self.ACTIONS)


class ReplayBuffer:
    def __init__(self, capacity):
        self.buffer = deque(maxlen=capacity)

    def push(self, s, a, r, s2, d):
        self.buffer.append((s, a, r, s2, d))

    def sample(self, batch_size):
        batch = random.sample(self.buffer, batch_size)
        s, a, r, s2, d = map(np.array, zip(*batch))
        return (s.astype(np.float32), a.astype(np.int32), r.astype(np.float32),
                s2.astype(np.float32), d.astype(np.float32))

    def __len__(self):
        return len(self.buffer)


def build_q_network(obs_dim, n_actions, hidden=(64, 64)):
    inputs = keras.Input(shape=(obs_dim,), name="state")
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"fc{i}")(x)
    q_values = layers.Dense(n_actions, name="q")(x)
    return keras.Model(inputs, q_values, name="q_net")


def epsilon_at(step, eps_start, eps_end, decay_steps):
    frac = min(1.0, step / decay_steps)
    return eps_start + frac * (eps_end - eps_start)


@tf.function
def train_step(q_net, target_net, optimizer, s, a, r, s2, d, gamma):
    next_q = target_net(s2, training=False)
    max_next_q = tf.reduce_max(next_q, axis=1)
    targets = r + gamma * (1.0 - d) * max_next_q

    with tf.GradientTape() as tape:
        q = q_net(s, training=True)
        q_taken = tf.gather(q, a, axis=1, batch_dims=1)
        loss = tf.reduce_mean(keras.losses.huber(targets[:, None], q_taken[:, None]))
    grads = tape.gradient(loss, q_net.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 10.0)
    optimizer.apply_gradients(zip(grads, q_net.trainable_variables))
    return loss


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--total-steps", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--gamma", type=float, default=0.95)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--target-sync", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    tf.random.set_seed(args.seed)

    env = GridWorld()
    q_net = build_q_network(env.obs_dim, env.n_actions)
    target_net = build_q_network(env.obs_dim, env.n_actions)
    target_net.set_weights(q_net.get_weights())
    optimizer = keras.optimizers.Adam(learning_rate=args.lr)
    buffer = ReplayBuffer(capacity=5000)

    state = env.reset()
    episode_return, episode_returns = 0.0, []
    losses = []

    for step in range(args.total_steps):
        eps = epsilon_at(step, 1.0, 0.1, decay_steps=args.total_steps * 0.7)
        if np.random.rand() < eps:
            action = np.random.randint(env.n_actions)
        else:
            q = q_net(state[None, :], training=False)
            action = int(tf.argmax(q[0]).numpy())

        next_state, reward, done = env.step(action)
        buffer.push(state, action, reward, next_state, float(done))
        episode_return += reward
        state = next_state

        if done:
            episode_returns.append(episode_return)
            episode_return = 0.0
            state = env.reset()

        if len(buffer) >= args.warmup:
            batch = buffer.sample(args.batch_size)
            loss = train_step(q_net, target_net, optimizer, *batch, tf.constant(args.gamma))
            losses.append(float(loss))

        if step % args.target_sync == 0:
            target_net.set_weights(q_net.get_weights())

    print(f"episodes finished: {len(episode_returns)}")
    if episode_returns:
        print(f"mean return (last 10): {np.mean(episode_returns[-10:]):.3f}")
    if losses:
        print(f"final loss: {losses[-1]:.4f}")

    # greedy rollout just to see what it learned
    s = env.reset()
    path = [env.pos]
    for _ in range(env.max_steps):
        a = int(np.argmax(q_net.predict(s[None], verbose=0)[0]))
        s, _, d = env.step(a)
        path.append(env.pos)
        if d:
            break
    print("greedy path:", path[:12])


if __name__ == "__main__":
    main()
