"""Named training recipes: the original ELECTRA hyperparameters per model size.

Pretraining values are those of the ELECTRA paper (Clark et al. 2020, Table 6)
and google-research/electra `configure_pretraining.py`; fine-tuning values
are those of `configure_finetuning.py`. The `tiny` recipes are not from the
paper: they are sized for CPU demos and tests. `demo` is the default of
`keras-electra pretrain`: the `tiny` size with settings measured to make the
discriminator visibly learn on natural text on a 2-core CPU (see
guides/pretraining.md, "A recipe that learns on a CPU"); `electric_demo` is
its Electric counterpart, the default of `--objective electric` ("Electric on
real text").

The recipes reproduce the original optimizer: Adam without bias correction
(`adam_bias_correction=False`) and, for fine-tuning, the original's layer-wise
decay depths (`original_off_by_one=True`; see `layerwise_decay`). The
pretraining recipes also reproduce the original's masking: positions drawn
with replacement (`position_sampling`) and 85% [MASK] / 15% kept for every
objective (`mask_token_rate`, `random_token_rate`; BERT's 80/10/10 is
`mask_token_rate=0.8, random_token_rate=0.1`). Change them with
`dataclasses.replace(recipe, ...)`.
"""

import dataclasses

from keras_electra.models.sizes import GENERATOR_HIDDEN_FRACTIONS
from keras_electra.models.sizes import MODEL_SIZES
from keras_electra.models.sizes import ModelSize


@dataclasses.dataclass(frozen=True)
class PretrainingRecipe:
    """Hyperparameters of ELECTRA pretraining for one model size.

    Args:
        name: str. Recipe name.
        model: `ModelSize` of the discriminator.
        learning_rate: float. Peak learning rate.
        batch_size: int. Sequences per step.
        sequence_length: int. Tokens per sequence.
        warmup_steps: int. Linear-warmup steps.
        num_train_steps: int. Total steps (linear decay to 0 over them).
        mask_probability: float. Fraction of tokens masked / replaced.
        generator_hidden_fraction: float. Generator width / discriminator's.
        generator_layer_fraction: float. Generator depth / discriminator's.
        generator_weight: float. Weight of the generator (MLM) loss.
        discriminator_weight: float. Weight of the discriminator loss.
        temperature: float. Generator sampling temperature.
        weight_decay: float. Decoupled weight decay.
        lr_decay_power: float. Power of the polynomial decay.
        adam_epsilon: float. Adam epsilon.
        adam_bias_correction: bool. `False` is the original's Adam.
        global_clipnorm: float. Gradient clipping by global norm.
        position_sampling: str. `"with_replacement"` is the original's
            masked-position draw; `"without_replacement"` gives distinct
            positions.
        mask_token_rate: float. Chosen tokens replaced by [MASK] (0.85).
        random_token_rate: float. Chosen tokens replaced by a random token (0).
        electric_energy_init: str. Where Electric's energies start: `"zeros"`
            (the original) or `"uniform"` (`log V`; see `ElectraPretrainer`).
        embedding_sharing: str. `"tied"` (the original's), `"untied"`,
            `"gdes"` or `"shared_encoder"` (see `ElectraPretrainer`).

    Example:
    ```python
    from keras_electra.training import get_pretraining_recipe

    recipe = get_pretraining_recipe("small")
    recipe.max_predictions_per_sequence  # 19
    optimizer = recipe.create_optimizer()
    ```
    """

    name: str
    model: ModelSize
    learning_rate: float
    batch_size: int
    sequence_length: int
    warmup_steps: int
    num_train_steps: int
    mask_probability: float
    generator_hidden_fraction: float
    generator_layer_fraction: float = 1.0
    generator_weight: float = 1.0
    discriminator_weight: float = 50.0
    temperature: float = 1.0
    weight_decay: float = 0.01
    lr_decay_power: float = 1.0
    adam_epsilon: float = 1e-6
    adam_bias_correction: bool = False
    global_clipnorm: float = 1.0
    position_sampling: str = "with_replacement"
    mask_token_rate: float = 0.85
    random_token_rate: float = 0.0
    electric_energy_init: str = "zeros"
    embedding_sharing: str = "tied"

    @property
    def generator_model(self):
        """`ModelSize` of the generator."""
        return self.model.generator(
            self.generator_hidden_fraction, self.generator_layer_fraction
        )

    @property
    def max_predictions_per_sequence(self):
        """Masked positions per sequence, `int((mask_prob + 0.005) * length)`."""
        return int((self.mask_probability + 0.005) * self.sequence_length)

    def pretrainer_kwargs(self):
        """This recipe's `ElectraPretrainer` arguments besides the backbones.

        Example:
        ```python
        from keras_electra.models import ElectraPretrainer
        from keras_electra.training import get_pretraining_recipe

        recipe = get_pretraining_recipe("tiny")
        pretrainer = ElectraPretrainer.from_size(
            recipe.model, recipe.generator_hidden_fraction,
            recipe.generator_layer_fraction, **recipe.pretrainer_kwargs())
        ```
        """
        return dict(
            mask_probability=self.mask_probability,
            generator_weight=self.generator_weight,
            discriminator_weight=self.discriminator_weight,
            temperature=self.temperature,
            position_sampling=self.position_sampling,
            mask_token_rate=self.mask_token_rate,
            random_token_rate=self.random_token_rate,
            electric_energy_init=self.electric_energy_init,
            embedding_sharing=self.embedding_sharing,
        )

    def learning_rate_schedule(self):
        """The `ElectraLearningRateSchedule` of this recipe."""
        from keras_electra.optimizers.schedules import ElectraLearningRateSchedule

        return ElectraLearningRateSchedule(
            peak_learning_rate=self.learning_rate,
            num_train_steps=self.num_train_steps,
            warmup_steps=self.warmup_steps,
            power=self.lr_decay_power,
        )

    def create_optimizer(self, **overrides):
        """The optimizer of this recipe (schedule, decay, clipping).

        Args:
            **overrides: arguments of `create_optimizer` to change.
        """
        from keras_electra.optimizers.adam_weight_decay import create_optimizer

        kwargs = dict(
            learning_rate=self.learning_rate_schedule(),
            weight_decay=self.weight_decay,
            epsilon=self.adam_epsilon,
            bias_correction=self.adam_bias_correction,
            global_clipnorm=self.global_clipnorm,
        )
        kwargs.update(overrides)
        return create_optimizer(**kwargs)


PRETRAINING_RECIPES = {
    # Measured on natural English (guides/pretraining.md): a generator
    # sampled at temperature 2.
    "demo": PretrainingRecipe(
        name="demo",
        model=MODEL_SIZES["tiny"],
        learning_rate=1e-3,
        batch_size=16,
        sequence_length=64,
        warmup_steps=10,
        num_train_steps=100,
        mask_probability=0.15,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["tiny"],
        temperature=2.0,
    ),
    # Electric on natural English (guides/pretraining.md, "Electric on real
    # text"): energies started at log V, sampled at temperature 1.
    "electric_demo": PretrainingRecipe(
        name="electric_demo",
        model=MODEL_SIZES["tiny"],
        learning_rate=3e-3,
        batch_size=16,
        sequence_length=64,
        warmup_steps=30,
        num_train_steps=300,
        mask_probability=0.15,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["tiny"],
        electric_energy_init="uniform",
    ),
    "tiny": PretrainingRecipe(
        name="tiny",
        model=MODEL_SIZES["tiny"],
        learning_rate=1e-3,
        batch_size=16,
        sequence_length=64,
        warmup_steps=30,
        num_train_steps=300,
        mask_probability=0.15,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["tiny"],
    ),
    "small": PretrainingRecipe(
        name="small",
        model=MODEL_SIZES["small"],
        learning_rate=5e-4,
        batch_size=128,
        sequence_length=128,
        warmup_steps=10_000,
        num_train_steps=1_000_000,
        mask_probability=0.15,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["small"],
    ),
    "base": PretrainingRecipe(
        name="base",
        model=MODEL_SIZES["base"],
        learning_rate=2e-4,
        batch_size=256,
        sequence_length=512,
        warmup_steps=10_000,
        num_train_steps=766_000,
        mask_probability=0.15,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["base"],
    ),
    "large": PretrainingRecipe(
        name="large",
        model=MODEL_SIZES["large"],
        learning_rate=2e-4,
        batch_size=2048,
        sequence_length=512,
        warmup_steps=10_000,
        num_train_steps=400_000,
        mask_probability=0.25,
        generator_hidden_fraction=GENERATOR_HIDDEN_FRACTIONS["large"],
    ),
}

# What `keras-electra pretrain` trains without --model, and per objective
# where that differs.
DEFAULT_PRETRAINING_RECIPE = "demo"
OBJECTIVE_DEFAULT_RECIPES = {"electric": "electric_demo"}


def default_pretraining_recipe(objective=None):
    """The recipe `keras-electra pretrain --objective OBJECTIVE` uses without --model.

    Example:
    ```python
    default_pretraining_recipe("electric")  # "electric_demo"
    default_pretraining_recipe("electra")  # "demo"
    ```
    """
    return OBJECTIVE_DEFAULT_RECIPES.get(objective, DEFAULT_PRETRAINING_RECIPE)


@dataclasses.dataclass(frozen=True)
class FinetuningRecipe:
    """Hyperparameters of ELECTRA fine-tuning for one model size and task.

    Args:
        size: str. Model size name.
        task: str. Canonical task name.
        model: `ModelSize` of the pretrained model.
        learning_rate: float. Peak learning rate.
        layerwise_decay: float. Layer-wise learning-rate decay.
        num_epochs: float. Passes over the training set.
        batch_size: int. Examples per step.
        max_sequence_length: int. Tokens per example.
        warmup_proportion: float. Warmup as a fraction of all steps.
        weight_decay: float. Decoupled weight decay.
        lr_decay_power: float. Power of the polynomial decay (1 is linear).
        adam_epsilon: float. Adam epsilon.
        adam_bias_correction: bool. `False` is the original's Adam.
        original_off_by_one: bool. The original's layer-wise depths.
        global_clipnorm: float. Gradient clipping by global norm.

    Example:
    ```python
    from keras_electra.training import get_finetuning_recipe

    recipe = get_finetuning_recipe("base", "rte")
    recipe.num_epochs  # 10.0
    recipe.num_train_steps(num_examples=2490)  # 778
    ```
    """

    size: str
    task: str
    model: ModelSize
    learning_rate: float
    layerwise_decay: float
    num_epochs: float
    batch_size: int = 32
    max_sequence_length: int = 128
    warmup_proportion: float = 0.1
    weight_decay: float = 0.01
    lr_decay_power: float = 1.0
    adam_epsilon: float = 1e-6
    adam_bias_correction: bool = False
    original_off_by_one: bool = True
    global_clipnorm: float = 1.0

    def num_train_steps(self, num_examples):
        """Optimizer steps for `num_examples` training examples."""
        if num_examples <= 0:
            raise ValueError(
                f"`num_examples` must be > 0. Received: num_examples={num_examples}"
            )
        return max(1, int(num_examples * self.num_epochs / self.batch_size))

    def learning_rate_schedule(self, num_train_steps):
        """Warmup over `warmup_proportion`, then linear decay to 0."""
        from keras_electra.optimizers.schedules import ElectraLearningRateSchedule

        return ElectraLearningRateSchedule(
            peak_learning_rate=self.learning_rate,
            num_train_steps=num_train_steps,
            warmup_proportion=self.warmup_proportion,
            power=self.lr_decay_power,
        )

    def create_optimizer(self, model, num_train_steps, **overrides):
        """The optimizer of this recipe, with layer-wise decay over `model`.

        Args:
            model: the task model (with `.backbone`) or a backbone.
            num_train_steps: int. Total optimizer steps.
            **overrides: arguments of `create_optimizer` to change.
        """
        from keras_electra.optimizers.adam_weight_decay import create_optimizer

        kwargs = dict(
            learning_rate=self.learning_rate_schedule(num_train_steps),
            weight_decay=self.weight_decay,
            epsilon=self.adam_epsilon,
            bias_correction=self.adam_bias_correction,
            global_clipnorm=self.global_clipnorm,
            layerwise_decay=self.layerwise_decay,
            model=model,
            original_off_by_one=self.original_off_by_one,
        )
        kwargs.update(overrides)
        return create_optimizer(**kwargs)


# Task name -> (num_epochs, max_sequence_length), from configure_finetuning.py.
FINETUNING_TASKS = {
    "generic": (3.0, 128),
    "cola": (3.0, 128),
    "sst": (3.0, 128),
    "mrpc": (3.0, 128),
    "sts": (10.0, 128),
    "qqp": (3.0, 128),
    "mnli": (3.0, 128),
    "qnli": (3.0, 128),
    "rte": (10.0, 128),
    "squad": (2.0, 512),
    "squadv1": (2.0, 512),
    "chunk": (3.0, 256),
}

def _glue_aliases():
    """GLUE names and spellings -> the original's names (`"sst-2"` -> `"sst"`)."""
    from keras_electra.data.glue import GLUE_TASKS
    from keras_electra.data.glue import original_task_name
    from keras_electra.data.glue import TASK_ALIASES as GLUE_ALIASES

    aliases = {}
    for name in (*GLUE_TASKS, *GLUE_ALIASES):
        original = original_task_name(name)
        if original != name and original in FINETUNING_TASKS:
            aliases[name] = original
    return aliases


TASK_ALIASES = {
    **_glue_aliases(),
    "squad2": "squad",
    "squadv2": "squad",
    "squad1": "squadv1",
    "conll2000": "chunk",
}

# Size -> (learning_rate, layerwise_decay). `tiny` is a demo value.
FINETUNING_OPTIMIZATION = {
    "tiny": (1e-3, 0.8),
    "small": (1e-4, 0.8),
    "base": (1e-4, 0.8),
    "large": (5e-5, 0.9),
}


def task_sequence_length(task):
    """The original's `max_seq_length` for a fine-tuning task (128 if unknown).

    The one source of the default sequence length of `keras-electra
    finetune` and of `train_squad`: 512 for SQuAD, 256 for chunking, 128
    otherwise, as `configure_finetuning.py`.

    Example:
    ```python
    task_sequence_length("squad2")  # 512
    ```
    """
    key = str(task).lower()
    key = TASK_ALIASES.get(key, key)
    return FINETUNING_TASKS.get(key, FINETUNING_TASKS["generic"])[1]


def get_pretraining_recipe(name):
    """Returns the pretraining recipe `name` (one of `PRETRAINING_RECIPES`).

    Args:
        name: str. Recipe name.

    Returns:
        A frozen `PretrainingRecipe`.

    Example:
    ```python
    from keras_electra.training import get_pretraining_recipe

    get_pretraining_recipe("base").learning_rate  # 2e-4
    ```
    """
    key = str(name).lower()
    if key not in PRETRAINING_RECIPES:
        raise ValueError(
            f"Unknown pretraining recipe {name!r}. Valid names: "
            f"{', '.join(PRETRAINING_RECIPES)}."
        )
    return PRETRAINING_RECIPES[key]


def get_finetuning_recipe(size, task="generic"):
    """Returns the fine-tuning recipe for a model size and task.

    Args:
        size: str. "tiny", "small", "base" or "large".
        task: str. A task of `FINETUNING_TASKS` (or an alias such as "sst-2",
            "sts-b", "squad2"); "generic" for any other task.

    Returns:
        A frozen `FinetuningRecipe`.

    Example:
    ```python
    from keras_electra.training import get_finetuning_recipe

    recipe = get_finetuning_recipe("large", "squad")
    recipe.learning_rate, recipe.layerwise_decay, recipe.num_epochs
    # (5e-05, 0.9, 2.0)
    ```
    """
    size_key = str(size).lower()
    if size_key not in FINETUNING_OPTIMIZATION:
        raise ValueError(
            f"Unknown model size {size!r}. Valid sizes: "
            f"{', '.join(FINETUNING_OPTIMIZATION)}."
        )
    task_key = str(task).lower()
    task_key = TASK_ALIASES.get(task_key, task_key)
    if task_key not in FINETUNING_TASKS:
        raise ValueError(
            f"Unknown fine-tuning task {task!r}. Valid tasks: "
            f"{', '.join(FINETUNING_TASKS)} (aliases: {', '.join(TASK_ALIASES)}); "
            "use 'generic' for other tasks."
        )
    learning_rate, layerwise_decay = FINETUNING_OPTIMIZATION[size_key]
    num_epochs, max_sequence_length = FINETUNING_TASKS[task_key]
    return FinetuningRecipe(
        size=size_key,
        task=task_key,
        model=MODEL_SIZES[size_key],
        learning_rate=learning_rate,
        layerwise_decay=layerwise_decay,
        num_epochs=num_epochs,
        max_sequence_length=max_sequence_length,
    )

