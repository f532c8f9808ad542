"""Synchronous advantage actor-critic (A2C) with a shared-trunk Keras model.

A subclassed keras.Model returns (policy_logits, value) from a common MLP trunk.
Rollouts are collected from a batch of numpy "point mass" environments, advantages
are computed with GAE(lambda) in numpy, and the combined policy / value / entropy
loss is optimised inside a tf.function with GradientTape.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass
class A2CConfig:
    num_envs: int = 16
    rollout_len: int = 16
    num_updates: int = 40
    gamma: float = 0.99
    gae_lambda: float = 0.95
    lr: float = 7e-4
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    max_grad_norm: float = 0.5
    hidden: int = 64
    reward_scale: float = 0.1
    seed: int = 42


class PointMassEnv:
    """Batch of 1-D point masses; push left/none/right to reach x=0 and stop."""

    num_actions = 3
    obs_dim = 3  # x, v, time-fraction

    def __init__(self, n, horizon=50, seed=0):
        self.n, self.horizon = n, horizon
        self.rng = np.random.default_rng(seed)
        self.x = np.zeros(n, np.float32)
        self.v = np.zeros(n, np.float32)
        self.t = np.zeros(n, np.int32)

    def _obs(self):
        return np.stack([self.x, self.v, self.t / self.horizon], axis=-1).astype(np.float32)

    def _reset(self, mask):
        k = int(mask.sum())
        self.x[mask] = self.rng.uniform(-1.0, 1.0, k)
        self.v[mask] = 0.0
        self.t[mask] = 0

    def reset(self):
        self._reset(np.ones(self.n, bool))
        return self._obs()

    def step(self, actions):
        force = (actions.astype(np.float32) - 1.0) * 0.05
        self.v = np.clip(self.v + force, -0.3, 0.3)
        self.x = np.clip(self.x + self.v, -2.0, 2.0)
        self.t += 1
        reward = -(np.abs(self.x) + 0.1 * np.abs(self.v))
        success = (np.abs(self.x) < 0.05) & (np.abs(self.v) < 0.05)
        reward = np.where(success, reward + 1.0, reward).astype(np.float32)
        done = success | (self.t >= self.horizon)
        self._reset(done)
        return self._obs(), reward, done.astype(np.float32)


class ActorCritic(tf.keras.Model):
    def __init__(self, num_actions, hidden=64, **kwargs):
        super().__init__(**kwargs)
        init = tf.keras.initializers.Orthogonal(gain=np.sqrt(2))
        self.trunk = [
            tf.keras.layers.Dense(hidden, activation="tanh", kernel_initializer=init),
            tf.keras.layers.Dense(hidden, activation="tanh", kernel_initializer=init),
        ]
        # Small init on the policy head keeps the initial policy near-uniform.
        self.policy_head = tf.keras.layers.Dense(
            num_actions, kernel_initializer=tf.keras.initializers.Orthogonal(0.01),
            name="policy_logits",
        )
        self.value_head = tf.keras.layers.Dense(
            1, kernel_initializer=tf.keras.initializers.Orthogonal(1.0), name="value"
        )

    def call(self, obs, training=False):
        h = obs
        for layer in self.trunk:
            h = layer(h, training=training)
        logits = self.policy_head(h)
        value = tf.squeeze(self.value_head(h), axis=-1)
        return logits, value


def compute_gae(rewards, values, dones, last_value, gamma, lam):
    """rewards/values/dones: (T, N); last_value: (N,). Returns advantages, returns."""
    T = rewards.shape[0]
    advantages = np.zeros_like(rewards)
    last_gae = np.zeros_like(last_value)
    for t in reversed(range(T)):
        next_value = last_value if t == T - 1 else values[t + 1]
        non_terminal = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * non_terminal - values[t]
        last_gae = delta + gamma * lam * non_terminal * last_gae
        advantages[t] = last_gae
    return advantages, advantages + values


class A2CTrainer:
    def __init__(self, cfg: A2CConfig):
        self.cfg = cfg
        tf.random.set_seed(cfg.seed)
        self.env = PointMassEnv(cfg.num_envs, seed=cfg.seed)
        self.model = ActorCritic(PointMassEnv.num_actions, cfg.hidden)
        # Subclassed model: run a dummy batch through it so the weights exist.
        self.model(tf.zeros((1, PointMassEnv.obs_dim)))
        self.optimizer = tf.keras.optimizers.RMSprop(learning_rate=cfg.lr, rho=0.99, epsilon=1e-5)
        self.obs = self.env.reset()

    @tf.function
    def sample_actions(self, obs):
        logits, values = self.model(obs)
        actions = tf.random.categorical(logits, num_samples=1)[:, 0]
        return tf.cast(actions, tf.int32), values

    @tf.function
    def train_step(self, obs, actions, advantages, returns):
        cfg = self.cfg
        with tf.GradientTape() as tape:
            logits, values = self.model(obs, training=True)
            log_probs = tf.nn.log_softmax(logits)
            probs = tf.nn.softmax(logits)
            action_log_probs = tf.reduce_sum(
                tf.one_hot(actions, tf.shape(logits)[-1]) * log_probs, axis=-1
            )
            policy_loss = -tf.reduce_mean(action_log_probs * tf.stop_gradient(advantages))
            value_loss = tf.reduce_mean(tf.square(returns - values))
            entropy = -tf.reduce_mean(tf.reduce_sum(probs * log_probs, axis=-1))
            loss = policy_loss + cfg.value_coef * value_loss - cfg.entropy_coef * entropy

        grads = tape.gradient(loss, self.model.trainable_variables)
        grads, grad_norm = tf.clip_by_global_norm(grads, cfg.max_grad_norm)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return {
            "loss": loss,
            "policy_loss": policy_loss,
            "value_loss": value_loss,
            "entropy": entropy,
            "grad_norm": grad_norm,
        }

    def collect_rollout(self):
        T, N = self.cfg.rollout_len, self.cfg.num_envs
        obs_buf = np.zeros((T, N, PointMassEnv.obs_dim), np.float32)
        act_buf = np.zeros((T, N), np.int32)
        rew_buf = np.zeros((T, N), np.float32)
        done_buf = np.zeros((T, N), np.float32)
        val_buf = np.zeros((T, N), np.float32)

        for t in range(T):
            actions, values = self.sample_actions(tf.constant(self.obs))
            actions = actions.numpy()
            obs_buf[t], act_buf[t], val_buf[t] = self.obs, actions, values.numpy()
            self.obs, rew_buf[t], done_buf[t] = self.env.step(actions)
        rew_buf *= self.cfg.reward_scale

        _, last_value = self.model(tf.constant(self.obs))
        adv, ret = compute_gae(
            rew_buf, val_buf, done_buf, last_value.numpy(), self.cfg.gamma, self.cfg.gae_lambda
        )
        flat = lambda x: x.reshape((T * N,) + x.shape[2:])
        return flat(obs_buf), flat(act_buf), flat(adv), flat(ret), rew_buf.mean()

    def train(self):
        history = []
        for update in range(1, self.cfg.num_updates + 1):
            obs, act, adv, ret, mean_rew = self.collect_rollout()
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
            metrics = self.train_step(obs, act, adv, ret)
            metrics = {k: float(v) for k, v in metrics.items()}
            history.append(mean_rew)
            if update % 10 == 0 or update == 1:
                print(
                    f"update {update:3d} | mean reward {mean_rew:+.3f} | "
                    + " ".join(f"{k}={v:.3f}" for k, v in metrics.items())
                )
        return history


if __name__ == "__main__":
    cfg = A2CConfig()
    trainer = A2CTrainer(cfg)
    trainer.model.summary()
    hist = trainer.train()
    print(f"first-5 avg reward {np.mean(hist[:5]):+.3f} -> last-5 avg {np.mean(hist[-5:]):+.3f}")
