"""Hand-written training loop with gradient accumulation.

Used when the per-device batch is too small for stable training: we run
`accum_steps` micro-batches, sum their gradients into non-trainable
buffers, and apply once. Also shows a warmup+cosine LR schedule,
tf.train.CheckpointManager for resumable runs, and a separate eval step.
"""
import tempfile
import time

import numpy as np
import tensorflow as tf

CONFIG = {
    "seq_len": 32,
    "vocab_size": 500,
    "embed_dim": 48,
    "num_classes": 4,
    "micro_batch": 16,
    "accum_steps": 4,
    "total_updates": 5,
    "warmup_updates": 2,
    "peak_lr": 1e-3,
    "clipnorm": 1.0,
    "log_every": 1,
}


class WarmupCosine(tf.keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps):
        super().__init__()
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.cosine = tf.keras.optimizers.schedules.CosineDecay(
            peak_lr, decay_steps=max(1, total_steps - warmup_steps), alpha=0.1
        )

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak_lr * (step + 1.0) / float(self.warmup_steps)
        decayed = self.cosine(step - self.warmup_steps)
        return tf.where(step < self.warmup_steps, warm, decayed)

    def get_config(self):
        return {"peak_lr": self.peak_lr, "warmup_steps": self.warmup_steps}


def build_text_cnn(cfg):
    tokens = tf.keras.Input(shape=(cfg["seq_len"],), dtype="int32", name="tokens")
    x = tf.keras.layers.Embedding(cfg["vocab_size"], cfg["embed_dim"], mask_zero=False)(tokens)
    branches = []
    for k in (2, 3, 5):
        b = tf.keras.layers.Conv1D(32, k, padding="same", activation="relu")(x)
        branches.append(tf.keras.layers.GlobalMaxPooling1D()(b))
    x = tf.keras.layers.Concatenate()(branches)  # (batch, 96)
    x = tf.keras.layers.Dropout(0.3)(x)
    logits = tf.keras.layers.Dense(cfg["num_classes"])(x)
    return tf.keras.Model(tokens, logits, name="text_cnn")


def make_dataset(cfg, n, seed):
    rng = np.random.default_rng(seed)
    toks = rng.integers(1, cfg["vocab_size"], size=(n, cfg["seq_len"])).astype("int32")
    labels = (toks[:, 0] % cfg["num_classes"]).astype("int32")
    ds = tf.data.Dataset.from_tensor_slices({"tokens": toks, "label": labels})
    return ds.shuffle(n, seed=seed).batch(cfg["micro_batch"], drop_remainder=True)


class Trainer:
    def __init__(self, cfg, ckpt_dir):
        self.cfg = cfg
        self.model = build_text_cnn(cfg)
        schedule = WarmupCosine(cfg["peak_lr"], cfg["warmup_updates"], cfg["total_updates"])
        self.optimizer = tf.keras.optimizers.Adam(schedule)
        self.loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, reduction="sum_over_batch_size"
        )
        self.train_loss = tf.keras.metrics.Mean("train_loss")
        self.train_acc = tf.keras.metrics.SparseCategoricalAccuracy("train_acc")
        self.val_acc = tf.keras.metrics.SparseCategoricalAccuracy("val_acc")

        self.accum = [
            tf.Variable(tf.zeros_like(v), trainable=False, name=f"accum_{i}")
            for i, v in enumerate(self.model.trainable_variables)
        ]
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step)
        self.manager = tf.train.CheckpointManager(self.ckpt, ckpt_dir, max_to_keep=2)

    @tf.function
    def accumulate(self, batch):
        with tf.GradientTape() as tape:
            logits = self.model(batch["tokens"], training=True)
            loss = self.loss_fn(batch["label"], logits)
            scaled = loss / self.cfg["accum_steps"]
        grads = tape.gradient(scaled, self.model.trainable_variables)
        for acc, g in zip(self.accum, grads):
            acc.assign_add(g)
        self.train_loss.update_state(loss)
        self.train_acc.update_state(batch["label"], logits)

    @tf.function
    def apply(self):
        grads = [tf.identity(a) for a in self.accum]
        grads, norm = tf.clip_by_global_norm(grads, self.cfg["clipnorm"])
        self.optimizer.apply_gradients(zip(grads, self.model.trainable_variables))
        for acc in self.accum:
            acc.assign(tf.zeros_like(acc))
        self.step.assign_add(1)
        return norm

    @tf.function
    def eval_step(self, batch):
        logits = self.model(batch["tokens"], training=False)
        self.val_acc.update_state(batch["label"], logits)

    def fit(self, train_ds, val_ds):
        if self.manager.latest_checkpoint:
            self.ckpt.restore(self.manager.latest_checkpoint)
            print("restored from", self.manager.latest_checkpoint)

        it = iter(train_ds.repeat())
        t0 = time.time()
        for update in range(self.cfg["total_updates"]):
            for _ in range(self.cfg["accum_steps"]):
                self.accumulate(next(it))
            gnorm = self.apply()
            if (update + 1) % self.cfg["log_every"] == 0:
                lr = self.optimizer.learning_rate
                print(
                    f"update {int(self.step.numpy()):3d} | loss {self.train_loss.result():.4f} "
                    f"| acc {self.train_acc.result():.3f} | gnorm {gnorm:.3f} | lr {float(lr):.2e}"
                )
                self.train_loss.reset_state()
                self.train_acc.reset_state()

        self.val_acc.reset_state()
        for batch in val_ds:
            self.eval_step(batch)
        save_path = self.manager.save(checkpoint_number=self.step)
        print(f"val_acc {self.val_acc.result():.3f} | saved {save_path} | {time.time() - t0:.1f}s")


if __name__ == "__main__":
    tf.random.set_seed(0)
    cfg = dict(CONFIG)
    train_ds = make_dataset(cfg, 512, seed=0)
    val_ds = make_dataset(cfg, 128, seed=1)

    trainer = Trainer(cfg, tempfile.mkdtemp(prefix="rw61_ckpt_"))
    trainer.model.summary()
    trainer.fit(train_ds, val_ds)

    # sanity check: effective batch size = micro_batch * accum_steps
    print("effective batch:", cfg["micro_batch"] * cfg["accum_steps"])
