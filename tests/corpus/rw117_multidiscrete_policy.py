"""Multi-discrete action policy (e.g. move x turn x fire x weapon) trained with
an advantage-weighted policy-gradient loss through a custom Model.train_step,
so that plain model.fit() can be used on a tf.data pipeline of synthetic
transitions.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

ACTION_SPACE = {"move": 5, "turn": 3, "fire": 2, "weapon": 4}
OBS_SHAPE = (16,)
N_SAMPLES = 512
BATCH = 64
ENTROPY_BETA = 0.01

keras.utils.set_random_seed(3)


def build_backbone():
    obs = keras.Input(shape=OBS_SHAPE, name="obs")
    x = layers.LayerNormalization()(obs)
    for i, width in enumerate([128, 128]):
        x = layers.Dense(width, name=f"dense_{i}")(x)
        x = layers.Activation("gelu")(x)
    head_logits = {name: layers.Dense(n, name=f"{name}_logits")(x)
                   for name, n in ACTION_SPACE.items()}
    value = layers.Dense(1, name="value")(x)
    return keras.Model(obs, {**head_logits, "value": value}, name="multi_discrete_backbone")


class MultiDiscreteAgent(keras.Model):
    def __init__(self, backbone, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head_names = list(ACTION_SPACE)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.pg_tracker = keras.metrics.Mean(name="pg_loss")
        self.v_tracker = keras.metrics.Mean(name="v_loss")
        self.ent_tracker = keras.metrics.Mean(name="entropy")

    def call(self, obs, training=False):
        return self.backbone(obs, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.pg_tracker, self.v_tracker, self.ent_tracker]

    def joint_log_prob_and_entropy(self, outputs, actions):
        # sum log-probs over independent heads -> joint log prob
        logps, ents = [], []
        for i, name in enumerate(self.head_names):
            logits = outputs[name]
            logp_all = tf.nn.log_softmax(logits)
            logps.append(tf.gather(logp_all, actions[:, i], axis=1, batch_dims=1))
            ents.append(-tf.reduce_sum(tf.exp(logp_all) * logp_all, axis=-1))
        return tf.add_n(logps), tf.add_n(ents)

    def train_step(self, data):
        obs, actions, advantages, returns = data
        with tf.GradientTape() as tape:
            out = self(obs, training=True)
            logp, entropy = self.joint_log_prob_and_entropy(out, actions)
            pg_loss = -tf.reduce_mean(logp * advantages)
            v_loss = tf.reduce_mean(tf.square(returns - tf.squeeze(out["value"], -1)))
            ent = tf.reduce_mean(entropy)
            loss = pg_loss + 0.5 * v_loss - ENTROPY_BETA * ent
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for tracker, val in zip(self.metrics, [loss, pg_loss, v_loss, ent]):
            tracker.update_state(val)
        return {m.name: m.result() for m in self.metrics}

    def sample_actions(self, obs):
        out = self(obs)
        cols = [tf.random.categorical(out[n], 1, dtype=tf.int32) for n in self.head_names]
        return tf.concat(cols, axis=1)

    def greedy_actions(self, obs):
        out = self(obs)
        return tf.stack([tf.argmax(out[n], axis=-1, output_type=tf.int32)
                         for n in self.head_names], axis=1)


def synth_dataset(n):
    obs = np.random.randn(n, *OBS_SHAPE).astype("float32")
    sizes = np.array(list(ACTION_SPACE.values()))
    actions = (np.random.rand(n, len(sizes)) * sizes).astype("int32")
    # "good" actions agree with sign patterns of the obs; advantage reflects that
    hint = (obs[:, : len(sizes)] > 0).astype("int32")
    advantages = ((actions % 2) == hint).mean(axis=1) - 0.5
    advantages = ((advantages - advantages.mean()) / (advantages.std() + 1e-8)).astype("float32")
    returns = (advantages + 0.1 * np.random.randn(n)).astype("float32")
    return obs, actions, advantages, returns


def main():
    obs, actions, adv, ret = synth_dataset(N_SAMPLES)
    ds = (tf.data.Dataset.from_tensor_slices((obs, actions, adv, ret))
          .shuffle(N_SAMPLES)
          .batch(BATCH)
          .prefetch(2))

    agent = MultiDiscreteAgent(build_backbone())
    agent.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = agent.fit(ds, epochs=2, verbose=2)
    print("history keys:", sorted(history.history))

    probe = tf.constant(obs[:5])
    print("sampled:\n", agent.sample_actions(probe).numpy())
    print("greedy:\n", agent.greedy_actions(probe).numpy())
    out_shapes = {k: tuple(v.shape) for k, v in agent(probe).items()}
    print("head output shapes:", out_shapes)


if __name__ == "__main__":
    main()
