"""Synchronous Advantage Actor-Critic (A2C) with a batch of vectorised toy envs.

- Shared MLP trunk with policy-logits and value heads (functional API).
- n-step bootstrapped returns computed over a (n_steps, n_envs) rollout.
- Loss = policy gradient + value MSE - entropy bonus, written with keras.ops.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class A2CConfig:
    n_envs: int = 8
    n_steps: int = 5
    n_updates: int = 60
    obs_dim: int = 6
    n_actions: int = 4
    hidden: int = 64
    gamma: float = 0.99
    lr: float = 7e-4
    value_coef: float = 0.5
    entropy_coef: float = 0.01
    max_grad_norm: float = 0.5
    log_every: int = 15
    seed: int = 7


class VecBanditWalk:
    """n parallel envs. State is a noisy 'context' vector; the correct action is
    argmax of the first n_actions features. Episodes last `horizon` steps."""

    def __init__(self, n_envs, obs_dim, n_actions, horizon=20, seed=0):
        self.n, self.obs_dim, self.n_actions, self.horizon = n_envs, obs_dim, n_actions, horizon
        self.rng = np.random.default_rng(seed)
        self.t = np.zeros(n_envs, dtype=np.int32)
        self.obs = self._sample(n_envs)

    def _sample(self, k):
        return self.rng.normal(size=(k, self.obs_dim)).astype(np.float32)

    def reset(self):
        self.t[:] = 0
        self.obs = self._sample(self.n)
        return self.obs

    def step(self, actions):
        best = np.argmax(self.obs[:, :self.n_actions], axis=1)
        rewards = np.where(actions == best, 1.0, -0.1).astype(np.float32)
        self.t += 1
        dones = self.t >= self.horizon
        self.obs = self._sample(self.n)
        self.t[dones] = 0  # auto-reset
        return self.obs, rewards, dones.astype(np.float32)


def build_actor_critic(cfg: A2CConfig) -> keras.Model:
    obs = keras.Input(shape=(cfg.obs_dim,), name="obs")
    h = layers.Dense(cfg.hidden, activation="relu", name="trunk_1")(obs)
    h = layers.LayerNormalization()(h)
    h = layers.Dense(cfg.hidden, activation="relu", name="trunk_2")(h)
    logits = layers.Dense(cfg.n_actions, name="pi_logits")(h)
    value = layers.Dense(1, name="value")(h)
    return keras.Model(inputs=obs, outputs=[logits, value], name="a2c")


class A2CAgent:
    def __init__(self, cfg: A2CConfig):
        self.cfg = cfg
        self.model = build_actor_critic(cfg)
        self.optimizer = keras.optimizers.RMSprop(learning_rate=cfg.lr, rho=0.99, epsilon=1e-5)
        self._train_fn = tf.function(self._train_step)

    def act(self, obs):
        logits, value = self.model(obs)
        actions = tf.random.categorical(logits, 1, dtype=tf.int32)[:, 0]
        return actions.numpy(), ops.squeeze(value, -1).numpy()

    def value(self, obs):
        _, v = self.model(obs)
        return ops.convert_to_numpy(ops.squeeze(v, axis=-1))

    def n_step_returns(self, rewards, dones, last_values):
        """rewards/dones: (n_steps, n_envs). Bootstraps from last_values."""
        returns = np.zeros_like(rewards)
        running = last_values
        for t in reversed(range(rewards.shape[0])):
            running = rewards[t] + self.cfg.gamma * running * (1.0 - dones[t])
            returns[t] = running
        return returns

    def _train_step(self, obs, actions, returns):
        cfg = self.cfg
        with tf.GradientTape() as tape:
            logits, values = self.model(obs, training=True)
            values = ops.squeeze(values, axis=-1)
            advantages = ops.stop_gradient(returns - values)

            log_probs = ops.log_softmax(logits, axis=-1)
            probs = ops.exp(log_probs)
            action_mask = ops.one_hot(actions, cfg.n_actions)
            logp_taken = ops.sum(log_probs * action_mask, axis=-1)

            policy_loss = -ops.mean(logp_taken * advantages)
            value_loss = ops.mean(ops.square(returns - values))
            entropy = -ops.mean(ops.sum(probs * log_probs, axis=-1))
            loss = policy_loss + cfg.value_coef * value_loss - cfg.entropy_coef * entropy

        grads = tape.gradient(loss, self.model.trainable_variables)
        grads, grad_norm = tf.clip_by_global_norm(grads, cfg.max_grad_norm)
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        return {"policy_loss": policy_loss, "value_loss": value_loss,
                "entropy": entropy, "grad_norm": grad_norm}

    def train_on_rollout(self, obs, actions, returns):
        # flatten (n_steps, n_envs, ...) -> (n_steps * n_envs, ...)
        obs = obs.reshape(-1, self.cfg.obs_dim)
        return self._train_fn(tf.convert_to_tensor(obs),
                              tf.convert_to_tensor(actions.reshape(-1)),
                              tf.convert_to_tensor(returns.reshape(-1)))


def main():
    cfg = A2CConfig()
    np.random.seed(cfg.seed)
    keras.utils.set_random_seed(cfg.seed)
    env = VecBanditWalk(cfg.n_envs, cfg.obs_dim, cfg.n_actions, seed=cfg.seed)
    agent = A2CAgent(cfg)
    agent.model.summary()

    obs = env.reset()
    mb_shape = (cfg.n_steps, cfg.n_envs)
    for update in range(1, cfg.n_updates + 1):
        mb_obs = np.zeros(mb_shape + (cfg.obs_dim,), dtype=np.float32)
        mb_act = np.zeros(mb_shape, dtype=np.int32)
        mb_rew = np.zeros(mb_shape, dtype=np.float32)
        mb_done = np.zeros(mb_shape, dtype=np.float32)
        for t in range(cfg.n_steps):
            actions, _ = agent.act(obs)
            mb_obs[t] = obs
            mb_act[t] = actions
            obs, mb_rew[t], mb_done[t] = env.step(actions)
        returns = agent.n_step_returns(mb_rew, mb_done, agent.value(obs))
        logs = agent.train_on_rollout(mb_obs, mb_act, returns)
        if update % cfg.log_every == 0:
            msg = " ".join(f"{k}={float(v):.4f}" for k, v in logs.items())
            print(f"update {update:3d} mean_r={mb_rew.mean():+.3f} {msg}")


if __name__ == "__main__":
    main()
