# A2C on a toy "keep the cart near zero" env.
# shared MLP trunk -> policy logits head + value head
# returns are computed in numpy at the end of each rollout (n-step, bootstrap from V)

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "n_envs": 4,
    "rollout_len": 16,
    "n_updates": 12,
    "gamma": 0.97,
    "lr": 7e-4,
    "value_coef": 0.5,
    "entropy_coef": 0.01,
    "hidden": [64, 64],
    "seed": 42,
}


class CartLine:
    """1D point mass. Actions: push left / nothing / push right. Reward for staying near 0."""

    def __init__(self, rng):
        self.rng = rng
        self.reset()

    def reset(self):
        self.x = self.rng.uniform(-1, 1)
        self.v = self.rng.uniform(-0.2, 0.2)
        self.t = 0
        return self.state()

    def state(self):
        return np.array([self.x, self.v, np.sign(self.x)], dtype=np.float32)

    def step(self, action):
        force = (action - 1) * 0.1
        self.v = 0.9 * self.v + force + self.rng.normal(0, 0.01)
        self.x = self.x + self.v
        self.t += 1
        reward = 1.0 - min(abs(self.x), 2.0)
        done = abs(self.x) > 2.0 or self.t >= 50
        return self.state(), reward, done


class ActorCritic(keras.Model):
    def __init__(self, n_actions, hidden=(64, 64), **kwargs):
        super().__init__(**kwargs)
        self.trunk = [layers.Dense(h, activation="tanh", name=f"trunk_{i}") for i, h in enumerate(hidden)]
        self.policy_head = layers.Dense(n_actions, name="logits")
        self.value_head = layers.Dense(1, name="value")

    def call(self, x, training=False):
        for layer in self.trunk:
            x = layer(x)
        logits = self.policy_head(x)
        value = ops.squeeze(self.value_head(x), axis=-1)
        return logits, value


def discounted_returns(rewards, dones, last_values, gamma):
    """rewards/dones: [T, N] arrays, last_values: [N]"""
    T = rewards.shape[0]
    returns = np.zeros_like(rewards)
    running = last_values.copy()
    for t in reversed(range(T)):
        running = rewards[t] + gamma * running * (1.0 - dones[t])
        returns[t] = running
    return returns


def collect_rollout(envs, model, obs, cfg):
    T, N = cfg["rollout_len"], len(envs)
    obs_buf = np.zeros((T, N, 3), dtype=np.float32)
    act_buf = np.zeros((T, N), dtype=np.int32)
    rew_buf = np.zeros((T, N), dtype=np.float32)
    done_buf = np.zeros((T, N), dtype=np.float32)
    ep_rewards = []

    for t in range(T):
        logits, _ = model(obs, training=False)
        actions = tf.random.categorical(logits, num_samples=1)[:, 0].numpy()
        obs_buf[t] = obs
        act_buf[t] = actions
        next_obs = []
        for i, env in enumerate(envs):
            s2, r, d = env.step(actions[i])
            rew_buf[t, i] = r
            done_buf[t, i] = float(d)
            if d:
                ep_rewards.append(env.t)
                s2 = env.reset()
            next_obs.append(s2)
        obs = np.stack(next_obs)

    _, last_v = model(obs, training=False)
    returns = discounted_returns(rew_buf, done_buf, last_v.numpy(), cfg["gamma"])
    batch = {
        "obs": obs_buf.reshape(T * N, -1),
        "actions": act_buf.reshape(-1),
        "returns": returns.reshape(-1),
    }
    return batch, obs, ep_rewards


def make_update_fn(model, optimizer, cfg):
    @tf.function
    def update(obs, actions, returns):
        with tf.GradientTape() as tape:
            logits, values = model(obs, training=True)
            advantages = tf.stop_gradient(returns - values)
            log_probs = tf.nn.log_softmax(logits)
            act_log_probs = tf.reduce_sum(log_probs * tf.one_hot(actions, logits.shape[-1]), axis=-1)

            policy_loss = -tf.reduce_mean(act_log_probs * advantages)
            value_loss = tf.reduce_mean(tf.square(returns - values))
            entropy = -tf.reduce_mean(tf.reduce_sum(tf.exp(log_probs) * log_probs, axis=-1))
            loss = policy_loss + cfg["value_coef"] * value_loss - cfg["entropy_coef"] * entropy
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 0.5)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return policy_loss, value_loss, entropy

    return update


def main(cfg=CONFIG):
    rng = np.random.default_rng(cfg["seed"])
    tf.random.set_seed(cfg["seed"])

    envs = [CartLine(rng) for _ in range(cfg["n_envs"])]
    obs = np.stack([e.reset() for e in envs])

    model = ActorCritic(n_actions=3, hidden=cfg["hidden"])
    model(obs)  # build
    optimizer = keras.optimizers.RMSprop(learning_rate=cfg["lr"], rho=0.99, epsilon=1e-5)
    update = make_update_fn(model, optimizer, cfg)

    all_ep_lens = []
    for it in range(cfg["n_updates"]):
        batch, obs, ep_lens = collect_rollout(envs, model, obs, cfg)
        all_ep_lens.extend(ep_lens)
        pl, vl, ent = update(
            tf.convert_to_tensor(batch["obs"]),
            tf.convert_to_tensor(batch["actions"]),
            tf.convert_to_tensor(batch["returns"]),
        )
        if it % 4 == 0 or it == cfg["n_updates"] - 1:
            print(f"[{it:02d}] pi_loss={float(pl):+.4f} v_loss={float(vl):.4f} "
                  f"entropy={float(ent):.3f} mean_ret={batch['returns'].mean():.3f}")

    model.summary()
    if all_ep_lens:
        print("mean episode length:", np.mean(all_ep_lens))


if __name__ == "__main__":
    main()
