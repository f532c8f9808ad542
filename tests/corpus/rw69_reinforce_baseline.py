"""REINFORCE (Monte-Carlo policy gradient) with a learned value baseline.

Uses a small numpy re-implementation of CartPole (same dynamics as gym's
CartPole-v1) so it runs offline. Policy and baseline are Keras Sequential models,
trained episode-by-episode with GradientTape.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

GAMMA = 0.99
LR_POLICY = 1e-2
LR_VALUE = 5e-3
N_EPISODES = 15
MAX_STEPS = 200
EPS = np.finfo(np.float32).eps.item()

rng = np.random.default_rng(42)
tf.random.set_seed(42)


class CartPole:
    gravity, masscart, masspole, length = 9.8, 1.0, 0.1, 0.5
    force_mag, tau = 10.0, 0.02
    theta_threshold = 12 * 2 * math.pi / 360
    x_threshold = 2.4

    def reset(self):
        self.state = rng.uniform(-0.05, 0.05, size=(4,))
        return self.state.astype(np.float32)

    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = self.force_mag if action == 1 else -self.force_mag
        total_mass = self.masspole + self.masscart
        polemass_length = self.masspole * self.length
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + polemass_length * theta_dot ** 2 * sintheta) / total_mass
        thetaacc = (self.gravity * sintheta - costheta * temp) / (
            self.length * (4.0 / 3.0 - self.masspole * costheta ** 2 / total_mass))
        xacc = temp - polemass_length * thetaacc * costheta / total_mass
        x = x + self.tau * x_dot
        x_dot = x_dot + self.tau * xacc
        theta = theta + self.tau * theta_dot
        theta_dot = theta_dot + self.tau * thetaacc
        self.state = np.array([x, x_dot, theta, theta_dot])
        done = (x < -self.x_threshold or x > self.x_threshold
                or theta < -self.theta_threshold or theta > self.theta_threshold)
        return self.state.astype(np.float32), 1.0, bool(done)


policy = keras.Sequential([
    keras.layers.Input(shape=(4,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dropout(0.1),
    keras.layers.Dense(2),  # logits
], name="policy")

baseline = keras.Sequential([
    keras.layers.Input(shape=(4,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
], name="baseline")

pi_opt = keras.optimizers.Adam(LR_POLICY)
v_opt = keras.optimizers.Adam(LR_VALUE)
mse = keras.losses.MeanSquaredError()


def discounted_returns(rewards, gamma=GAMMA, normalize=True):
    returns = np.zeros(len(rewards), dtype=np.float32)
    running = 0.0
    for i in reversed(range(len(rewards))):
        running = rewards[i] + gamma * running
        returns[i] = running
    if normalize:
        returns = (returns - returns.mean()) / (returns.std() + EPS)
    return returns


def run_episode(env):
    states, actions, rewards = [], [], []
    s = env.reset()
    for _ in range(MAX_STEPS):
        logits = policy(s[None], training=False)
        a = int(tf.random.categorical(logits, 1)[0, 0])
        s_next, r, done = env.step(a)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        s = s_next
        if done:
            break
    return np.stack(states), np.array(actions, dtype=np.int32), rewards


@tf.function(reduce_retracing=True)
def update(states, actions, returns):
    with tf.GradientTape() as v_tape:
        values = tf.squeeze(baseline(states, training=True), axis=-1)
        v_loss = mse(returns, values)
    v_grads = v_tape.gradient(v_loss, baseline.trainable_variables)
    v_opt.apply_gradients(zip(v_grads, baseline.trainable_variables))

    advantages = tf.stop_gradient(returns - values)
    with tf.GradientTape() as pi_tape:
        logits = policy(states, training=True)
        neg_logp = tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=actions, logits=logits)
        pi_loss = tf.reduce_mean(neg_logp * advantages)
    pi_grads = pi_tape.gradient(pi_loss, policy.trainable_variables)
    pi_opt.apply_gradients(zip(pi_grads, policy.trainable_variables))
    return pi_loss, v_loss


def main():
    env = CartPole()
    running_reward = None
    for ep in range(N_EPISODES):
        states, actions, rewards = run_episode(env)
        returns = discounted_returns(rewards)
        pi_loss, v_loss = update(tf.constant(states), tf.constant(actions),
                                 tf.constant(returns))
        ep_len = len(rewards)
        running_reward = ep_len if running_reward is None else 0.95 * running_reward + 0.05 * ep_len
        if ep % 3 == 0 or ep == N_EPISODES - 1:
            print(f"episode {ep:3d} len {ep_len:3d} running {running_reward:6.2f} "
                  f"pi_loss {float(pi_loss):+.4f} v_loss {float(v_loss):.4f}")
    probs = tf.nn.softmax(policy(np.zeros((1, 4), np.float32))).numpy()
    print("action probs at upright state:", probs.round(3))


if __name__ == "__main__":
    main()
