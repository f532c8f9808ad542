"""REINFORCE with a learned baseline, trained through model.fit().

The policy-gradient update lives in an overridden `train_step`, so the usual Keras
machinery (fit, callbacks, metric trackers, tf.data) can be reused for RL.
Episodes are rolled out from a vectorised MountainCar (numpy, shaped reward) with
batched action sampling; finished-episode padding is masked out via sample weights.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

HPARAMS = dict(
    num_envs=32,
    max_steps=60,
    gamma=0.99,
    lr=3e-3,
    baseline_coef=0.5,
    entropy_coef=0.01,
    batch_size=256,
    iterations=4,
    seed=5,
)
keras.utils.set_random_seed(HPARAMS["seed"])


class VecMountainCar:
    min_pos, max_pos, max_speed, goal = -1.2, 0.6, 0.07, 0.5
    force, gravity = 0.001, 0.0025

    def __init__(self, n, seed=0):
        self.n = n
        self.rng = np.random.default_rng(seed)

    def reset(self):
        self.pos = self.rng.uniform(-0.6, -0.4, self.n)
        self.vel = np.zeros(self.n)
        return self._obs()

    def _obs(self):
        # normalise roughly to [-1, 1]
        return np.stack([(self.pos + 0.3) / 0.9, self.vel / self.max_speed], -1).astype(np.float32)

    def step(self, actions):
        self.vel += (actions - 1) * self.force - np.cos(3 * self.pos) * self.gravity
        self.vel = np.clip(self.vel, -self.max_speed, self.max_speed)
        self.pos = np.clip(self.pos + self.vel, self.min_pos, self.max_pos)
        self.vel[(self.pos == self.min_pos) & (self.vel < 0)] = 0.0
        done = self.pos >= self.goal
        # shaped reward: -1 per step plus a bonus for kinetic energy
        reward = -1.0 + 10.0 * np.abs(self.vel) / self.max_speed * 0.1 + 10.0 * done
        return self._obs(), reward.astype(np.float32), done


class PolicyWithBaseline(keras.Model):
    def __init__(self, num_actions, baseline_coef=0.5, entropy_coef=0.01, **kwargs):
        super().__init__(**kwargs)
        self.body = keras.Sequential(
            [layers.Dense(64, activation="relu"), layers.Dense(64, activation="relu")],
            name="body",
        )
        self.logits_layer = layers.Dense(num_actions, name="logits")
        self.baseline_layer = layers.Dense(1, name="baseline")
        self.baseline_coef = baseline_coef
        self.entropy_coef = entropy_coef
        self.pg_tracker = keras.metrics.Mean(name="pg_loss")
        self.vf_tracker = keras.metrics.Mean(name="baseline_loss")
        self.ent_tracker = keras.metrics.Mean(name="entropy")

    def call(self, obs):
        h = self.body(obs)
        return self.logits_layer(h), tf.squeeze(self.baseline_layer(h), -1)

    @property
    def metrics(self):
        return [self.pg_tracker, self.vf_tracker, self.ent_tracker]

    def train_step(self, data):
        obs, (actions, returns), mask = data
        with tf.GradientTape() as tape:
            logits, baseline = self(obs, training=True)
            logp_all = tf.nn.log_softmax(logits)
            logp = tf.gather(logp_all, actions, batch_dims=1)
            advantage = tf.stop_gradient(returns - baseline)

            denom = tf.maximum(tf.reduce_sum(mask), 1.0)
            pg_loss = -tf.reduce_sum(mask * logp * advantage) / denom
            vf_loss = tf.reduce_sum(mask * tf.square(returns - baseline)) / denom
            entropy = -tf.reduce_sum(
                mask * tf.reduce_sum(tf.exp(logp_all) * logp_all, -1)
            ) / denom
            loss = pg_loss + self.baseline_coef * vf_loss - self.entropy_coef * entropy

        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.pg_tracker.update_state(pg_loss)
        self.vf_tracker.update_state(vf_loss)
        self.ent_tracker.update_state(entropy)
        return {m.name: m.result() for m in self.metrics}


def rollout(env, model, max_steps, seed_gen):
    """Runs all envs for max_steps; returns (T, N, ...) arrays and an alive mask."""
    obs = env.reset()
    N = env.n
    obs_buf = np.zeros((max_steps, N, 2), np.float32)
    act_buf = np.zeros((max_steps, N), np.int32)
    rew_buf = np.zeros((max_steps, N), np.float32)
    alive = np.ones(N, bool)
    mask_buf = np.zeros((max_steps, N), np.float32)

    for t in range(max_steps):
        logits, _ = model(obs)
        actions = keras.ops.convert_to_numpy(
            keras.random.categorical(logits, 1, seed=seed_gen)
        )[:, 0]
        obs_buf[t], act_buf[t], mask_buf[t] = obs, actions, alive
        obs, r, done = env.step(actions)
        rew_buf[t] = r * alive
        alive &= ~done
        if not alive.any():
            break
    return obs_buf, act_buf, rew_buf, mask_buf


def discounted_returns(rewards, gamma):
    out = np.zeros_like(rewards)
    running = np.zeros(rewards.shape[1], np.float32)
    for t in reversed(range(rewards.shape[0])):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def main(hp):
    env = VecMountainCar(hp["num_envs"], seed=hp["seed"])
    model = PolicyWithBaseline(3, hp["baseline_coef"], hp["entropy_coef"])
    model.compile(optimizer=keras.optimizers.Adam(hp["lr"]))
    model(np.zeros((1, 2), np.float32))
    model.summary()
    seed_gen = keras.random.SeedGenerator(hp["seed"])

    for it in range(hp["iterations"]):
        obs, act, rew, mask = rollout(env, model, hp["max_steps"], seed_gen)
        ret = discounted_returns(rew, hp["gamma"])
        ep_return = (rew * mask).sum(0).mean()

        # (T, N, ...) -> (T*N, ...) then standardise the returns scale
        flat = lambda x: x.reshape((-1,) + x.shape[2:])
        obs_f, act_f, ret_f, mask_f = map(flat, (obs, act, ret, mask))
        ret_f = ret_f / (ret_f[mask_f > 0].std() + 1e-6)

        ds = (
            tf.data.Dataset.from_tensor_slices((obs_f, (act_f, ret_f), mask_f))
            .shuffle(len(obs_f), seed=hp["seed"] + it)
            .batch(hp["batch_size"])
            .prefetch(tf.data.AUTOTUNE)
        )
        hist = model.fit(ds, epochs=1, shuffle=False, verbose=0)
        logs = {k: round(float(v[-1]), 4) for k, v in hist.history.items()}
        print(f"iter {it} | mean episode return {ep_return:7.2f} | steps kept "
              f"{int(mask_f.sum())}/{len(mask_f)} | {logs}")

    probe = np.array([[-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]], np.float32)
    logits, values = model(probe)
    print("probe action probs:\n", np.round(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), 3))
    print("probe baselines:", np.round(keras.ops.convert_to_numpy(values), 3))


if __name__ == "__main__":
    main(HPARAMS)
