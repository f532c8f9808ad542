"""REINFORCE (Monte-Carlo policy gradient) on a numpy chain-walk environment.

Uses the classic Keras trick: the policy is compiled with sparse categorical
cross-entropy and trained with `sample_weight = normalised returns`, which is
exactly  -sum_t G_t * log pi(a_t | s_t).  A second, hand-written GradientTape
version with a learned state-value baseline is included for comparison.
"""
import numpy as np
import tensorflow as tf

keras = tf.keras
layers = tf.keras.layers

N_STATES = 10
N_ACTIONS = 2          # 0 = left, 1 = right
MAX_LEN = 30
GAMMA = 0.98
EPISODES_PER_BATCH = 8
NUM_BATCHES = 10
RNG = np.random.default_rng(2024)
tf.random.set_seed(2024)


# ---------------------------------------------------------------- environment
def chain_reset():
    return N_STATES // 2


def chain_step(s, a):
    """Slippery chain: with p=0.1 the action is flipped. +1 at right end, +0.1 at left end."""
    if RNG.random() < 0.1:
        a = 1 - a
    s_next = s + (1 if a == 1 else -1)
    if s_next >= N_STATES - 1:
        return N_STATES - 1, 1.0, True
    if s_next <= 0:
        return 0, 0.1, True
    return s_next, -0.01, False


def featurize(states):
    """One-hot + scalar position feature -> (T, N_STATES + 1)."""
    states = np.asarray(states)
    onehot = np.eye(N_STATES, dtype=np.float32)[states]
    pos = (states.astype(np.float32) / (N_STATES - 1))[:, None]
    return np.concatenate([onehot, pos], axis=-1)


FEAT_DIM = N_STATES + 1


# ---------------------------------------------------------------- utilities
def discount_cumsum(rewards, gamma):
    out = np.zeros(len(rewards), dtype=np.float32)
    running = 0.0
    for t in reversed(range(len(rewards))):
        running = rewards[t] + gamma * running
        out[t] = running
    return out


def run_episode(policy_model):
    s = chain_reset()
    states, actions, rewards = [], [], []
    for _ in range(MAX_LEN):
        probs = policy_model.predict_on_batch(featurize([s]))[0]
        probs = probs / probs.sum()
        a = int(RNG.choice(N_ACTIONS, p=probs))
        s_next, r, done = chain_step(s, a)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        s = s_next
        if done:
            break
    return np.array(states), np.array(actions), np.array(rewards, dtype=np.float32)


# ---------------------------------------------------------------- variant 1: compile + sample_weight
def make_policy():
    return keras.Sequential([
        layers.Input(shape=(FEAT_DIM,)),
        layers.Dense(32, activation="relu"),
        layers.Dense(N_ACTIONS, activation="softmax"),
    ])


policy = make_policy()
policy.compile(optimizer=keras.optimizers.Adam(1e-2),
               loss="sparse_categorical_crossentropy")
policy.summary()

print("== REINFORCE via sample_weight ==")
for b in range(NUM_BATCHES):
    all_x, all_a, all_g, ep_returns = [], [], [], []
    for _ in range(EPISODES_PER_BATCH):
        s, a, r = run_episode(policy)
        all_x.append(featurize(s))
        all_a.append(a)
        all_g.append(discount_cumsum(r, GAMMA))
        ep_returns.append(r.sum())
    x = np.concatenate(all_x)
    y = np.concatenate(all_a)
    g = np.concatenate(all_g)
    g = (g - g.mean()) / (g.std() + 1e-8)
    loss = policy.train_on_batch(x, y, sample_weight=g)
    print(f"batch {b}: mean return {np.mean(ep_returns):.3f}  steps {len(y):4d}  loss {float(loss):+.4f}")


# ---------------------------------------------------------------- variant 2: GradientTape + baseline
class PolicyWithBaseline(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(32, activation="relu")
        self.logits = layers.Dense(N_ACTIONS)
        self.baseline = layers.Dense(1)

    def call(self, x):
        h = self.hidden(x)
        return self.logits(h), tf.squeeze(self.baseline(h), axis=-1)


pg_model = PolicyWithBaseline()
pg_model(tf.zeros((1, FEAT_DIM)))
pg_opt = keras.optimizers.Adam(1e-2)


class _ProbsAdapter:
    """Lets run_episode() reuse the logits model via predict_on_batch."""

    def __init__(self, model):
        self.model = model

    def predict_on_batch(self, x):
        logits, _ = self.model(x)
        return tf.nn.softmax(logits).numpy()


@tf.function(reduce_retracing=True)
def reinforce_baseline_step(x, actions, returns):
    with tf.GradientTape() as tape:
        logits, values = pg_model(x)
        neg_logp = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=actions, logits=logits)
        advantage = returns - tf.stop_gradient(values)
        pg_loss = tf.reduce_mean(neg_logp * advantage)
        baseline_loss = 0.5 * tf.reduce_mean(tf.square(returns - values))
        loss = pg_loss + baseline_loss
    grads = tape.gradient(loss, pg_model.trainable_variables)
    pg_opt.apply_gradients(zip(grads, pg_model.trainable_variables))
    return pg_loss, baseline_loss


print("== REINFORCE with learned baseline ==")
adapter = _ProbsAdapter(pg_model)
for b in range(NUM_BATCHES // 2):
    episodes = [run_episode(adapter) for _ in range(EPISODES_PER_BATCH)]
    x = np.concatenate([featurize(s) for s, _, _ in episodes])
    acts = np.concatenate([a for _, a, _ in episodes]).astype(np.int32)
    rets = np.concatenate([discount_cumsum(r, GAMMA) for _, _, r in episodes])
    pl, bl = reinforce_baseline_step(tf.constant(x), tf.constant(acts), tf.constant(rets))
    print(f"batch {b}: mean return {np.mean([r.sum() for *_, r in episodes]):.3f} "
          f"pg_loss {float(pl):+.4f} baseline_loss {float(bl):.4f}")

# Greedy policy readout for every interior state
probs_right = tf.nn.softmax(pg_model(featurize(np.arange(N_STATES)))[0])[:, 1]
print("P(right | s):", np.round(probs_right.numpy(), 2))
