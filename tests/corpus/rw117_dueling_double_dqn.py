# Dueling + Double DQN on a batch of synthetic transitions.
# The replay data is generated offline into numpy arrays, then streamed
# through tf.data. Target network is updated with Polyak averaging.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "obs_dim": 12,
    "n_actions": 6,
    "hidden": [128, 64],
    "stream_units": 32,
    "gamma": 0.97,
    "tau": 0.05,
    "lr": 5e-4,
    "batch_size": 64,
    "n_transitions": 768,
    "epochs": 2,
}

rng = np.random.default_rng(42)


def make_synthetic_transitions(n, obs_dim, n_actions):
    obs = rng.normal(size=(n, obs_dim)).astype("float32")
    actions = rng.integers(0, n_actions, size=(n,)).astype("int32")
    # reward depends on obs features + action, plus noise
    w = rng.normal(size=(obs_dim, n_actions)).astype("float32") / np.sqrt(obs_dim)
    rewards = np.take_along_axis(obs @ w, actions[:, None], axis=1).squeeze(1)
    rewards = (rewards + 0.05 * rng.normal(size=n)).astype("float32")
    next_obs = (0.9 * obs + 0.1 * rng.normal(size=obs.shape)).astype("float32")
    dones = (rng.random(n) < 0.05).astype("float32")
    return {"obs": obs, "action": actions, "reward": rewards,
            "next_obs": next_obs, "done": dones}


class DuelingCombine(layers.Layer):
    """Q(s,a) = V(s) + A(s,a) - mean_a A(s,a)."""

    def call(self, value, advantage):
        adv_mean = ops.mean(advantage, axis=-1, keepdims=True)
        return value + (advantage - adv_mean)


class DuelingQNetwork(keras.Model):
    def __init__(self, n_actions, hidden, stream_units, **kwargs):
        super().__init__(**kwargs)
        self.torso = [layers.Dense(u, activation="relu", name=f"torso_{i}")
                      for i, u in enumerate(hidden)]
        self.value_hidden = layers.Dense(stream_units, activation="relu")
        self.value_out = layers.Dense(1, name="state_value")
        self.adv_hidden = layers.Dense(stream_units, activation="relu")
        self.adv_out = layers.Dense(n_actions, name="advantage")
        self.combine = DuelingCombine()

    def call(self, x, training=False):
        for layer in self.torso:
            x = layer(x)
        v = self.value_out(self.value_hidden(x))
        a = self.adv_out(self.adv_hidden(x))
        return self.combine(v, a)


def soft_update(target, source, tau):
    for t_var, s_var in zip(target.weights, source.weights):
        t_var.assign(tau * s_var + (1.0 - tau) * t_var)


def build_agent(cfg):
    online = DuelingQNetwork(cfg["n_actions"], cfg["hidden"], cfg["stream_units"], name="online")
    target = DuelingQNetwork(cfg["n_actions"], cfg["hidden"], cfg["stream_units"], name="target")
    dummy = np.zeros((1, cfg["obs_dim"]), dtype="float32")
    online(dummy)
    target(dummy)
    target.set_weights(online.get_weights())
    return online, target


online_net, target_net = build_agent(CONFIG)
optimizer = keras.optimizers.Adam(CONFIG["lr"])
loss_fn = keras.losses.Huber(reduction="none")


@tf.function
def double_dqn_step(batch):
    obs, act, rew = batch["obs"], batch["action"], batch["reward"]
    nxt, done = batch["next_obs"], batch["done"]

    # online net picks the argmax action, target net evaluates it
    next_online_q = online_net(nxt)
    best_next = tf.argmax(next_online_q, axis=-1, output_type=tf.int32)
    next_target_q = target_net(nxt)
    idx = tf.stack([tf.range(tf.shape(best_next)[0]), best_next], axis=1)
    next_value = tf.gather_nd(next_target_q, idx)
    td_target = rew + CONFIG["gamma"] * (1.0 - done) * next_value

    with tf.GradientTape() as tape:
        q_all = online_net(obs, training=True)
        q_sa = tf.gather(q_all, act, axis=1, batch_dims=1)
        per_sample = loss_fn(tf.expand_dims(td_target, -1), tf.expand_dims(q_sa, -1))
        loss = tf.reduce_mean(per_sample)
    grads = tape.gradient(loss, online_net.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, online_net.trainable_variables))
    td_error = tf.abs(td_target - q_sa)
    return loss, gnorm, tf.reduce_mean(td_error)


def main():
    data = make_synthetic_transitions(CONFIG["n_transitions"], CONFIG["obs_dim"], CONFIG["n_actions"])
    print({k: v.shape for k, v in data.items()})
    ds = (tf.data.Dataset.from_tensor_slices(data)
          .shuffle(1024, seed=0)
          .batch(CONFIG["batch_size"], drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))

    for epoch in range(CONFIG["epochs"]):
        stats = []
        for batch in ds:
            loss, gnorm, td = double_dqn_step(batch)
            soft_update(target_net, online_net, CONFIG["tau"])
            stats.append((float(loss), float(gnorm), float(td)))
        mean_loss, mean_gnorm, mean_td = np.mean(stats, axis=0)
        print(f"epoch {epoch + 1}: loss={mean_loss:.4f} grad_norm={mean_gnorm:.3f} |td|={mean_td:.4f}")

    sample_q = online_net(data["obs"][:4]).numpy()
    print("greedy actions for 4 states:", sample_q.argmax(axis=1).tolist())
    online_net.summary()


if __name__ == "__main__":
    main()
