"""The ELECTRA learning-rate schedule: linear warmup times polynomial decay."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraLearningRateSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup multiplied by polynomial decay, as in google-research/electra.

    The original (`model/optimization.py`, `create_optimizer`) computes

    ```
    decayed(t) = (peak - end) * (1 - min(t, T) / T) ** power + end
    lr(t) = decayed(t) * min(1, t / warmup_steps)
    ```

    The two factors are *multiplied*: during warmup the rate is already
    decaying, so the peak actually reached at `t = warmup_steps` is
    `decayed(warmup_steps)`, slightly below `peak_learning_rate`. With
    `power=1.0` (the default) the decay is linear. The warmup length is
    `max(warmup_steps, warmup_proportion * num_train_steps)`, as in the
    original, so fine-tuning can give a proportion and pretraining a count.

    `t` is the optimizer's step counter, which Keras starts at 0: the first
    update uses `lr(0) = 0` when there is a warmup, as in the original (its
    global step is also 0 on the first update). With no warmup at all the
    warmup factor is 1 (the original would divide by zero).

    Args:
        peak_learning_rate: float. The rate the schedule warms up towards.
        num_train_steps: int. `T`: steps after which the rate stays at
            `end_learning_rate`.
        warmup_steps: int or float. Number of linear-warmup steps.
        warmup_proportion: float in [0, 1]. Warmup as a fraction of
            `num_train_steps`; the larger of the two warmups is used.
        power: float. Exponent of the polynomial decay (1.0 is linear).
        end_learning_rate: float. Rate at and after step `T` (before the
            warmup factor, which is 1 by then).
        name: optional name.

    Example:
    ```python
    import keras
    from keras_electra.optimizers import ElectraLearningRateSchedule

    schedule = ElectraLearningRateSchedule(
        peak_learning_rate=5e-4, num_train_steps=1000, warmup_steps=100
    )
    float(schedule(50))  # 5e-4 * 0.5 * (1 - 50 / 1000) = 2.375e-4
    optimizer = keras.optimizers.AdamW(learning_rate=schedule)
    ```
    """

    def __init__(
        self,
        peak_learning_rate,
        num_train_steps,
        warmup_steps=0,
        warmup_proportion=0.0,
        power=1.0,
        end_learning_rate=0.0,
        name=None,
    ):
        if peak_learning_rate < 0:
            raise ValueError(
                "`peak_learning_rate` must be >= 0. "
                f"Received: peak_learning_rate={peak_learning_rate}"
            )
        if num_train_steps <= 0:
            raise ValueError(
                "`num_train_steps` must be > 0. "
                f"Received: num_train_steps={num_train_steps}"
            )
        if warmup_steps < 0:
            raise ValueError(
                f"`warmup_steps` must be >= 0. Received: warmup_steps={warmup_steps}"
            )
        if not 0.0 <= warmup_proportion <= 1.0:
            raise ValueError(
                "`warmup_proportion` must be in [0, 1]. "
                f"Received: warmup_proportion={warmup_proportion}"
            )
        if power < 0:
            raise ValueError(f"`power` must be >= 0. Received: power={power}")
        if end_learning_rate < 0:
            raise ValueError(
                "`end_learning_rate` must be >= 0. "
                f"Received: end_learning_rate={end_learning_rate}"
            )
        self.peak_learning_rate = peak_learning_rate
        self.num_train_steps = num_train_steps
        self.warmup_steps = warmup_steps
        self.warmup_proportion = warmup_proportion
        self.power = power
        self.end_learning_rate = end_learning_rate
        self.name = name

    @property
    def effective_warmup_steps(self):
        """The warmup length used: `max(warmup_steps, proportion * T)`."""
        return max(
            float(self.warmup_steps),
            float(self.num_train_steps) * float(self.warmup_proportion),
        )

    def __call__(self, step):
        step = ops.cast(step, "float32")
        total = float(self.num_train_steps)
        # Polynomial decay from peak to end over T steps, then constant.
        remaining = 1.0 - ops.minimum(step, total) / total
        decayed = (
            self.peak_learning_rate - self.end_learning_rate
        ) * ops.power(remaining, float(self.power)) + self.end_learning_rate
        warmup = self.effective_warmup_steps
        if warmup <= 0:
            return decayed
        # Multiplied by the linear warmup factor, as in the original.
        return decayed * ops.minimum(1.0, step / warmup)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "num_train_steps": self.num_train_steps,
            "warmup_steps": self.warmup_steps,
            "warmup_proportion": self.warmup_proportion,
            "power": self.power,
            "end_learning_rate": self.end_learning_rate,
            "name": self.name,
        }
