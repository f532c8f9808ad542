"""REINFORCE with a learned value baseline on a vectorised numpy grid walk.

Environment: a 5x5 grid, the agent starts in a random cell and must reach the
goal cell (4, 4); each step costs -0.05, reaching the goal gives +1, episodes
are capped at 16 steps. A batch of environments is stepped together in numpy.
The agent is a tf.keras.Model with a shared torso, a policy head and a value
head. Actions are drawn with tf.random.categorical; the update uses
discounted returns minus the baseline, plus an entropy bonus.
"""
from dataclasses import dataclass, asdict

import numpy as np
import tensorflow as tf


@dataclass
class RLConfig:
    grid: int = 5
    max_steps: int = 16
    n_envs: int = 32
    iterations: int = 40
    gamma: float = 0.95
    lr: float = 3e-3
    entropy_coef: float = 0.01
    value_coef: float = 0.5
    seed: int = 21


MOVES = np.array([[-1, 0], [1, 0], [0, -1], [0, 1]], dtype=np.int64)  # up/down/left/right


class BatchedGridWalk:
    def __init__(self, cfg, rng):
        self.cfg = cfg
        self.rng = rng
        self.goal = np.array([cfg.grid - 1, cfg.grid - 1])

    def reset(self):
        self.pos = self.rng.integers(0, self.cfg.grid, size=(self.cfg.n_envs, 2))
        self.done = np.all(self.pos == self.goal, axis=1)
        return self.observe()

    def observe(self):
        g = self.cfg.grid
        onehot = np.zeros((self.cfg.n_envs, g * g), dtype=np.float32)
        onehot[np.arange(self.cfg.n_envs), self.pos[:, 0] * g + self.pos[:, 1]] = 1.0
        rel = (self.goal - self.pos).astype(np.float32) / g
        return np.concatenate([onehot, rel], axis=1)

    def step(self, actions):
        active = ~self.done
        new_pos = np.clip(self.pos + MOVES[actions], 0, self.cfg.grid - 1)
        self.pos = np.where(active[:, None], new_pos, self.pos)
        reached = np.all(self.pos == self.goal, axis=1) & active
        reward = np.where(active, -0.05, 0.0) + reached.astype(np.float64)
        self.done = self.done | reached
        return self.observe(), reward.astype(np.float32), active.astype(np.float32)


class ActorCritic(tf.keras.Model):
    def __init__(self, n_actions=4, hidden=64):
        super().__init__()
        self.torso = tf.keras.Sequential([
            tf.keras.layers.Dense(hidden, activation="relu"),
            tf.keras.layers.Dense(hidden, activation="relu"),
        ])
        self.policy_head = tf.keras.layers.Dense(n_actions)
        self.value_head = tf.keras.layers.Dense(1)

    def call(self, obs):
        h = self.torso(obs)
        return self.policy_head(h), tf.squeeze(self.value_head(h), -1)


def discounted_returns(rewards, gamma):
    """rewards: [T, N] -> returns [T, N]."""
    out = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1], dtype=np.float32)
    for t in reversed(range(rewards.shape[0])):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def main():
    cfg = RLConfig()
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)
    env = BatchedGridWalk(cfg, rng)
    agent = ActorCritic()
    opt = tf.keras.optimizers.Adam(cfg.lr)

    @tf.function
    def act(obs):
        logits, _ = agent(obs)
        return tf.squeeze(tf.random.categorical(logits, 1, dtype=tf.int32), -1)

    @tf.function
    def update(obs, actions, returns, mask):
        with tf.GradientTape() as tape:
            logits, values = agent(obs)
            logp_all = tf.nn.log_softmax(logits)
            idx = tf.stack([tf.range(tf.shape(actions)[0]), actions], axis=1)
            logp = tf.gather_nd(logp_all, idx)
            adv = tf.stop_gradient(returns - values)
            adv_mean = tf.reduce_sum(adv * mask) / tf.reduce_sum(mask)
            adv_std = tf.sqrt(tf.reduce_sum(tf.square(adv - adv_mean) * mask)
                              / tf.reduce_sum(mask) + 1e-8)
            adv = (adv - adv_mean) / adv_std
            denom = tf.reduce_sum(mask)
            pg_loss = -tf.reduce_sum(logp * adv * mask) / denom
            v_loss = tf.reduce_sum(tf.square(returns - values) * mask) / denom
            entropy = -tf.reduce_sum(
                tf.reduce_sum(tf.exp(logp_all) * logp_all, -1) * mask) / denom
            loss = pg_loss + cfg.value_coef * v_loss - cfg.entropy_coef * entropy
        grads = tape.gradient(loss, agent.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        opt.apply_gradients(zip(grads, agent.trainable_variables))
        return {"pg_loss": pg_loss, "v_loss": v_loss, "entropy": entropy}

    print("config:", asdict(cfg))
    for it in range(cfg.iterations):
        obs = env.reset()
        obs_buf, act_buf, rew_buf, mask_buf = [], [], [], []
        for _ in range(cfg.max_steps):
            a = act(tf.constant(obs)).numpy()
            next_obs, r, m = env.step(a)
            obs_buf.append(obs)
            act_buf.append(a)
            rew_buf.append(r)
            mask_buf.append(m)
            obs = next_obs
        rewards = np.stack(rew_buf)
        returns = discounted_returns(rewards, cfg.gamma)
        flat = lambda xs: np.concatenate(xs, axis=0)
        stats = update(tf.constant(flat(obs_buf)),
                       tf.constant(flat(act_buf).astype(np.int32)),
                       tf.constant(returns.reshape(-1)),
                       tf.constant(flat(mask_buf)))
        if it % 10 == 0 or it == cfg.iterations - 1:
            log = {k: round(float(v), 4) for k, v in stats.items()}
            log["mean_episode_return"] = round(float(rewards.sum(0).mean()), 3)
            log["success_rate"] = round(float(env.done.mean()), 3)
            print(f"iter {it:3d}", log)


if __name__ == "__main__":
    main()
