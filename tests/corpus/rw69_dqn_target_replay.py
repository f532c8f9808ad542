"""Vanilla DQN with experience replay and a periodically-synced target network.

Toy 1-D corridor environment (agent must walk right to reach the goal).
Observations are one-hot positions, actions are {left, stay, right}.
Supports the Double-DQN target as an option in the config dict.
"""
import random
from collections import deque

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "n_states": 10,
    "n_actions": 3,
    "gamma": 0.95,
    "lr": 1e-3,
    "buffer_size": 5000,
    "batch_size": 32,
    "warmup": 100,
    "train_every": 1,
    "target_update": 50,
    "total_steps": 600,
    "eps_start": 1.0,
    "eps_end": 0.05,
    "eps_decay_steps": 400,
    "double_dqn": True,
    "seed": 0,
}

random.seed(CONFIG["seed"])
np.random.seed(CONFIG["seed"])
tf.random.set_seed(CONFIG["seed"])


class Corridor:
    def __init__(self, n_states, max_steps=30):
        self.n = n_states
        self.max_steps = max_steps

    def _obs(self):
        o = np.zeros(self.n, dtype=np.float32)
        o[self.pos] = 1.0
        return o

    def reset(self):
        self.pos = 0
        self.t = 0
        return self._obs()

    def step(self, a):
        self.pos = int(np.clip(self.pos + (a - 1), 0, self.n - 1))
        self.t += 1
        at_goal = self.pos == self.n - 1
        reward = 1.0 if at_goal else -0.01
        done = at_goal or self.t >= self.max_steps
        return self._obs(), reward, done


class ReplayBuffer:
    def __init__(self, capacity):
        self.buffer = deque(maxlen=capacity)

    def add(self, s, a, r, s2, d):
        self.buffer.append((s, a, r, s2, d))

    def sample(self, batch_size):
        batch = random.sample(self.buffer, batch_size)
        s, a, r, s2, d = map(np.array, zip(*batch))
        return (s.astype(np.float32), a.astype(np.int32), r.astype(np.float32),
                s2.astype(np.float32), d.astype(np.float32))

    def __len__(self):
        return len(self.buffer)


def make_q_network(n_states, n_actions):
    return keras.Sequential([
        keras.Input(shape=(n_states,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(n_actions, activation=None),
    ], name="q_net")


q_net = make_q_network(CONFIG["n_states"], CONFIG["n_actions"])
target_net = make_q_network(CONFIG["n_states"], CONFIG["n_actions"])
target_net.set_weights(q_net.get_weights())
optimizer = keras.optimizers.Adam(CONFIG["lr"])
huber = keras.losses.Huber()
q_net.summary()


@tf.function
def train_step(states, actions, rewards, next_states, dones):
    next_q_target = target_net(next_states)
    if CONFIG["double_dqn"]:
        # action selection by online net, evaluation by target net
        next_actions = tf.argmax(q_net(next_states), axis=1, output_type=tf.int32)
        next_q = tf.gather(next_q_target, next_actions, axis=1, batch_dims=1)
    else:
        next_q = tf.reduce_max(next_q_target, axis=1)
    targets = rewards + CONFIG["gamma"] * (1.0 - dones) * next_q
    targets = tf.stop_gradient(targets)

    with tf.GradientTape() as tape:
        q_values = q_net(states, training=True)
        mask = tf.one_hot(actions, CONFIG["n_actions"])
        q_taken = tf.reduce_sum(q_values * mask, axis=1)
        loss = huber(targets, q_taken)
    grads = tape.gradient(loss, q_net.trainable_variables)
    grads = [tf.clip_by_norm(g, 10.0) for g in grads]
    optimizer.apply_gradients(zip(grads, q_net.trainable_variables))
    return loss, tf.reduce_mean(q_taken)


def epsilon_by_step(step):
    frac = min(1.0, step / CONFIG["eps_decay_steps"])
    return CONFIG["eps_start"] + frac * (CONFIG["eps_end"] - CONFIG["eps_start"])


def select_action(state, eps):
    if np.random.rand() < eps:
        return np.random.randint(CONFIG["n_actions"])
    q = q_net(state[None, :], training=False)
    return int(np.argmax(q.numpy()[0]))


def train():
    env = Corridor(CONFIG["n_states"])
    buffer = ReplayBuffer(CONFIG["buffer_size"])
    state = env.reset()
    ep_reward, episode, losses = 0.0, 0, []
    for step in range(CONFIG["total_steps"]):
        eps = epsilon_by_step(step)
        action = select_action(state, eps)
        next_state, reward, done = env.step(action)
        buffer.add(state, action, reward, next_state, float(done))
        state = next_state
        ep_reward += reward

        if len(buffer) >= CONFIG["warmup"] and step % CONFIG["train_every"] == 0:
            loss, mean_q = train_step(*buffer.sample(CONFIG["batch_size"]))
            losses.append(float(loss))

        if step % CONFIG["target_update"] == 0:
            target_net.set_weights(q_net.get_weights())

        if done:
            episode += 1
            if episode % 5 == 0:
                avg_loss = np.mean(losses[-50:]) if losses else 0.0
                print(f"step {step:4d} ep {episode:3d} reward {ep_reward:+.2f} "
                      f"eps {eps:.2f} loss {avg_loss:.4f}")
            state = env.reset()
            ep_reward = 0.0

    # greedy evaluation
    state, total = env.reset(), 0.0
    for _ in range(30):
        state, r, d = env.step(select_action(state, eps=0.0))
        total += r
        if d:
            break
    print("greedy eval return:", round(total, 3))
    q_all = q_net(np.eye(CONFIG["n_states"], dtype=np.float32))
    print("greedy policy per state:", np.argmax(q_all.numpy(), axis=1))


if __name__ == "__main__":
    train()
