"""ElectraPretrainer: replaced-token detection, Electric and MLM pretraining as one Keras model."""

import math

import keras
from keras import ops

from keras_electra.errors import ElectraError
from keras_electra.layers.embedding import ElectraEmbedding
from keras_electra.layers.gdes_embedding import GradientDisentangledEmbedding
from keras_electra.layers.heads import ElectraDiscriminatorHead
from keras_electra.layers.heads import ElectraMaskedLMHead
from keras_electra.layers.masking import DynamicMasking
from keras_electra.layers.masking import sample_from_logits
from keras_electra.layers.masking import scatter_positions
from keras_electra.models.backbone import ElectraBackbone
from keras_electra.models.backbone_config import CONFIG_FIELDS
from keras_electra.models.encoder_adapter import EncoderAdapter
from keras_electra.models.objectives import OBJECTIVES  # noqa: F401 (the table, re-exported)
from keras_electra.models.objectives import MaskedBatch
from keras_electra.models.objectives import electric_logits  # noqa: F401 (public)
from keras_electra.models.objectives import get_objective
from keras_electra.models.objectives import masked_lm_nll
from keras_electra.fast_paths.sparse_gradients import DenseSparseGradients
from keras_electra.fast_paths.torch_parameters import UniqueTorchParameters

EMBEDDING_SHARING = ("tied", "untied", "gdes", "shared_encoder")
# How Electric's cloze towers are shifted by one position (see `cloze_logits`).
ELECTRIC_SHIFTS = ("roll", "zeros")
# Where Electric's energies start (see `electric_energy_init`).
ELECTRIC_ENERGY_INITS = ("zeros", "uniform")
# Ids of [CLS], [SEP] and [MASK] in the original uncased vocab.txt.
ORIGINAL_SPECIAL_IDS = {"cls_token_id": 101, "sep_token_id": 102, "mask_token_id": 103}
PREMASKED_KEYS = ("masked_lm_positions", "masked_lm_ids", "masked_lm_weights")


def _rebuild(backbone, embedding_layer=None, **overrides):
    """A fresh `ElectraBackbone` with `backbone`'s config (plus overrides)."""
    name = overrides.pop("name", backbone.name)
    config = backbone.get_config()
    config.update(overrides)
    config.pop("name", None)
    config.pop("trainable", None)
    return ElectraBackbone(**config, embedding_layer=embedding_layer, name=name)


def _embedding_like(backbone, token_embedding):
    """A new `ElectraEmbedding` for `backbone` around `token_embedding`."""
    return ElectraEmbedding(
        vocabulary_size=backbone.vocabulary_size,
        embedding_dim=backbone.embedding_dim,
        max_sequence_length=backbone.max_sequence_length,
        num_segments=backbone.num_segments,
        dropout=backbone.dropout,
        layer_norm_epsilon=backbone.layer_norm_epsilon,
        initializer_range=backbone.initializer_range,
        token_embedding=token_embedding,
        name="embeddings",
    )


@keras.saving.register_keras_serializable(package="keras_electra")
class ElectraPretrainer(DenseSparseGradients, UniqueTorchParameters, keras.Model):
    """ELECTRA pretraining: generator + discriminator, trained with `model.fit`.

    Faithful to google-research/electra `run_pretraining.py` and TF Model
    Garden's `ElectraPretrainer`. Each call masks the batch in-graph (a new
    mask every step), runs the generator at the masked positions, samples
    replacements by Gumbel-max under `stop_gradient`, and trains the
    discriminator to detect them. Loss: `generator_weight * MLM +
    discriminator_weight * RTD`, RTD averaged over non-pad tokens.

    Objectives:
    - `"electra"`: replaced-token detection (default).
    - `"mlm"`: the paper's BERT baseline; the discriminator alone with an
      MLM head and the original's 85% [MASK] / 15% kept masking (pass
      `mask_token_rate=0.8, random_token_rate=0.1` for BERT's 80/10/10).
      No generator.
    - `"uniform"`: replacements drawn uniformly from the vocabulary.
    - `"electric"`: Electric (Clark et al. 2020b). A two-tower cloze
      generator (left-to-right and right-to-left backbones on the *unmasked*
      input; position t reads `concat(ltr[t-1], rtl[t+1])`, see `electric_shift`)
      trained over all candidate positions; discriminator logit
      `s + stop_gradient(log q(x_t)) + log(p / (1 - p))`; every masked
      position is labelled fake. Score text afterwards with `ElectricScorer`.

    Embedding sharing (generator objectives):
    - `"tied"`: the generator uses the discriminator's `ElectraEmbedding`
      (token, position, segment tables and LayerNorm) and keeps its own
      projection. A generator that does not share yet is rebuilt from its
      config around the discriminator's embeddings (fresh weights).
    - `"untied"`: separate embeddings.
    - `"gdes"`: DeBERTaV3's gradient-disentangled sharing: the
      discriminator's token table is `stop_gradient(generator table) + delta`
      (delta starts at zero). The discriminator is rebuilt around it.
    - `"shared_encoder"`: the original's `untied_generator=False` (the
      paper's weight-sharing study): the generator *is* the discriminator
      backbone (same object, same size, every weight shared), with its own
      masked-LM head. `electra` objective only (the original has no tied
      two-tower generator); pass `generator=None` or the discriminator.

    Defaults follow google-research/electra (`pretrain_helpers.py`,
    `run_pretraining.py`): positions drawn with replacement, 85/15 masking
    for every objective, Electric's towers rolled. One reported number
    differs by choice: `disc_auc` leaves pads out, while the original's
    counts every pad as a negative scored 0 (`original_disc_auc=True` adds
    that number as the `original_disc_auc` metric). The losses and the
    other metrics weight pads out, as the original does.

    Any keras-hub encoder: the discriminator and generator may also be other
    keras-hub `Backbone`s (`BertBackbone`, `RobertaBackbone`,
    `DebertaV3Backbone`, ...), both of one family or not, for `electra`,
    `mlm` and `uniform` (Electric needs `ElectraBackbone`'s one-directional
    towers). They need `token_ids` and `padding_mask` inputs (`segment_ids`
    optional), a `sequence_output` (or a single output) and a
    `ReversibleEmbedding` `token_embedding`; `EncoderAdapter` splits them at
    that table. Only the token table is shared: `"tied"` makes the generator
    read the discriminator's table, `"gdes"` makes the discriminator read
    `stop_gradient(generator table) + delta` (`gdes_embedding`), both
    needing tables of one shape. The backbone's own table then goes unused
    (no gradient; Keras says so once, as for BERT's pooler): take the
    trained backbones from `export_discriminator()` / `export_generator()`.

    Inputs are dicts of `token_ids`, `segment_ids`, `padding_mask` with a
    static sequence length (`segment_ids` may be left out for encoders
    without them). Pre-masked batches (as Model Garden takes them)
    also carry `masked_lm_positions`, `masked_lm_ids` and optionally
    `masked_lm_weights`; `token_ids` are then the masked ids.

    Args:
        discriminator: `ElectraBackbone`, or another keras-hub `Backbone`.
        generator: a backbone of the discriminator's kind (`ElectraBackbone`
            or not), or None (needed for `electra` and
            `electric` unless you use `from_size`). Under `electric` it is
            the left-to-right tower (rebuilt with that direction if needed).
        reverse_generator: optional right-to-left tower for `electric`;
            built from `generator`'s config when None.
        objective: one of `"electra"`, `"mlm"`, `"uniform"`, `"electric"`.
        embedding_sharing: one of `"tied"`, `"untied"`, `"gdes"`,
            `"shared_encoder"`.
        mask_token_id, cls_token_id, sep_token_id, pad_token_id: special ids
            (defaults are those of the original uncased vocabulary).
        mask_probability: float. Fraction of tokens masked (0.15).
        max_predictions: int or None. Masked slots per row; derived from the
            sequence length when None.
        mask_token_rate, random_token_rate: floats or None. Replacement split
            of chosen tokens; None means the original's 0.85/0.0 for every
            objective (BERT's split is 0.8/0.1).
        position_sampling: `"with_replacement"` (the original's
            `tf.random.categorical` draw, default) or `"without_replacement"`
            (distinct positions). See `DynamicMasking`.
        generator_weight: float. Weight of the generator (MLM/cloze) loss.
        discriminator_weight: float. Weight of the RTD loss (50).
        temperature: float. Sampling temperature.
        disallow_correct: bool. Never sample the original token.
        electric_shift: `"roll"` (the original's `roll`, default: [CLS]
            reads the last position's left-to-right state and the last
            position reads [CLS]'s right-to-left state, so `log q` there sees
            the whole row) or `"zeros"` (those two positions read zeros
            instead: no tower state leaks its own token). Only `electric`.
        electric_energy_init: `"zeros"` (the original: the discriminator
            head's output bias starts at 0, so every energy starts near 0) or
            `"uniform"` (it starts at `log(vocabulary_size)`, the energy of
            a uniform distribution, so the initial logit `s + log q + log(p /
            (1 - p))` is near the prior under an untrained, near-uniform `q`).
            With `"zeros"` a small model pays the missing offset of about
            `log V` by collapsing its encoder to one constant output
            (guides/pretraining.md, "Electric on real text"). Only `electric`.
        original_disc_auc: bool. Also report `original_disc_auc`, the
            original's `tf.metrics.auc(labels * input_mask, probs *
            input_mask)`: pads count as negatives scored 0, which raises the
            AUC on padded batches. `disc_auc` always leaves pads out.
        seed: int or None. Seed of masking and sampling.

    Example:
    ```python
    import numpy as np
    import keras
    from keras_electra.models import ElectraPretrainer

    pretrainer = ElectraPretrainer.from_size(
        dict(vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=32,
             intermediate_dim=64, embedding_dim=16, max_sequence_length=16),
        generator_hidden_fraction=0.5, mask_token_id=4, cls_token_id=2,
        sep_token_id=3,
    )
    pretrainer.compile(optimizer=keras.optimizers.Adam(1e-3))
    ids = np.random.randint(5, 100, (8, 16)).astype("int32")
    ids[:, 0], ids[:, -1] = 2, 3
    x = {"token_ids": ids, "segment_ids": np.zeros_like(ids),
         "padding_mask": np.ones_like(ids)}
    pretrainer.fit(x, batch_size=4, epochs=1)
    ```
    """

    def __init__(
        self,
        discriminator,
        generator=None,
        reverse_generator=None,
        objective="electra",
        embedding_sharing="tied",
        mask_token_id=ORIGINAL_SPECIAL_IDS["mask_token_id"],
        cls_token_id=ORIGINAL_SPECIAL_IDS["cls_token_id"],
        sep_token_id=ORIGINAL_SPECIAL_IDS["sep_token_id"],
        pad_token_id=0,
        mask_probability=0.15,
        max_predictions=None,
        mask_token_rate=None,
        random_token_rate=None,
        generator_weight=1.0,
        discriminator_weight=50.0,
        temperature=1.0,
        disallow_correct=False,
        position_sampling="with_replacement",
        electric_shift="roll",
        electric_energy_init="zeros",
        original_disc_auc=False,
        seed=None,
        **kwargs,
    ):
        strategy = get_objective(objective)
        if embedding_sharing not in EMBEDDING_SHARING:
            raise ValueError(
                f"Unknown `embedding_sharing` {embedding_sharing!r}; expected one "
                f"of {EMBEDDING_SHARING}."
            )
        if electric_shift not in ELECTRIC_SHIFTS:
            raise ElectraError(
                f"Unknown `electric_shift` {electric_shift!r}; expected one of "
                f"{ELECTRIC_SHIFTS}."
            )
        if electric_energy_init not in ELECTRIC_ENERGY_INITS:
            raise ElectraError(
                f"Unknown `electric_energy_init` {electric_energy_init!r}; expected one of "
                f"{ELECTRIC_ENERGY_INITS}."
            )
        encoders = None
        if not isinstance(discriminator, ElectraBackbone):
            # Any other keras-hub backbone, through `EncoderAdapter`s.
            generator, encoders = self._adapt(
                discriminator, generator, reverse_generator, strategy, embedding_sharing
            )
            reverse_generator = None
        elif strategy.tower_directions and embedding_sharing == "shared_encoder":
            generator, reverse_generator = self._shared_encoder(
                discriminator, generator, reverse_generator, strategy
            )
        elif strategy.tower_directions:
            generator, reverse_generator, discriminator = self._check_and_share(
                discriminator, generator, reverse_generator, strategy, embedding_sharing
            )
        else:
            generator = reverse_generator = None
        # The original masks 85% [MASK] / 15% kept for every objective,
        # the BERT baseline included (`pretrain_helpers.mask`).
        if mask_token_rate is None:
            mask_token_rate = 0.85
        if random_token_rate is None:
            random_token_rate = 0.0

        super().__init__(**kwargs)

        # === Layers ===
        self.discriminator = discriminator
        self.generator = generator
        self.reverse_generator = reverse_generator
        # Plain objects (not tracked): the backbones own the variables.
        self._discriminator_encoder = self._generator_encoder = None
        if encoders is not None:
            self._discriminator_encoder, self._generator_encoder, gdes = encoders
            if gdes is not None:
                self.gdes_embedding = gdes
        self.masking = DynamicMasking(
            vocabulary_size=self.part(discriminator).vocabulary_size,
            mask_token_id=mask_token_id,
            special_token_ids=[cls_token_id, sep_token_id, mask_token_id],
            pad_token_id=pad_token_id,
            mask_probability=mask_probability,
            max_predictions=max_predictions,
            mask_token_rate=mask_token_rate,
            random_token_rate=random_token_rate,
            position_sampling=position_sampling,
            seed=seed,
            name="masking",
        )
        self.sampling_seed = keras.random.SeedGenerator(
            None if seed is None else seed + 1, name="sampling_seed"
        )
        self.objective_strategy = strategy
        self.generator_head = None
        self.discriminator_head = None
        lm_backbone = strategy.lm_backbone(self)
        if lm_backbone is not None:
            self.generator_head = ElectraMaskedLMHead(
                self.token_table(lm_backbone),
                layer_norm_epsilon=self.part(lm_backbone).layer_norm_epsilon,
                initializer_range=self.part(lm_backbone).initializer_range,
                name="generator_predictions",
            )
        if strategy.has_discriminator:
            bias = "zeros"
            if objective == "electric" and electric_energy_init == "uniform":
                bias = keras.initializers.Constant(math.log(discriminator.vocabulary_size))
            self.discriminator_head = ElectraDiscriminatorHead(
                self.part(discriminator).hidden_dim,
                initializer_range=self.part(discriminator).initializer_range,
                bias_initializer=bias,
                name="discriminator_predictions",
            )

        # === Metrics ===
        names = ["masked_lm_accuracy", "masked_lm_loss"]
        if strategy.has_discriminator:
            names += [
                "sampled_masked_lm_accuracy", "disc_loss", "disc_accuracy",
                "disc_precision", "disc_recall",
            ]
        self._metric_trackers = {n: keras.metrics.Mean(name=n) for n in names}
        if strategy.has_discriminator:
            self._metric_trackers["disc_auc"] = keras.metrics.AUC(
                num_thresholds=200, name="disc_auc"
            )
            if original_disc_auc:
                # `tf.metrics.auc`'s defaults: 200 thresholds, ROC, trapezoids.
                self._metric_trackers["original_disc_auc"] = keras.metrics.AUC(
                    num_thresholds=200, name="original_disc_auc"
                )

        # === Config ===
        self.objective = objective
        self.embedding_sharing = embedding_sharing
        self.mask_token_id = mask_token_id
        self.cls_token_id = cls_token_id
        self.sep_token_id = sep_token_id
        self.pad_token_id = pad_token_id
        self.mask_probability = mask_probability
        self.max_predictions = max_predictions
        self.mask_token_rate = mask_token_rate
        self.random_token_rate = random_token_rate
        self.generator_weight = generator_weight
        self.discriminator_weight = discriminator_weight
        self.temperature = temperature
        self.disallow_correct = disallow_correct
        self.position_sampling = position_sampling
        self.electric_shift = electric_shift
        self.electric_energy_init = electric_energy_init
        self.original_disc_auc = original_disc_auc
        self.seed = seed

    # --- Construction helpers -------------------------------------------------

    @staticmethod
    def _shared_encoder(discriminator, generator, reverse_generator, strategy):
        # run_pretraining.py, `untied_generator=False`: the generator is built
        # in the discriminator's variable scope (`reuse=not untied_generator`).
        if not strategy.can_share_encoder:
            raise ElectraError(
                "`embedding_sharing='shared_encoder'` needs the 'electra' objective "
                f"(the original has no tied two-tower generator); received {strategy.name!r}."
            )
        if generator is not None and generator is not discriminator:
            raise ElectraError(
                "With `embedding_sharing='shared_encoder'` the generator is the "
                "discriminator itself: pass `generator=None` (or the discriminator), "
                f"not a separate backbone ({getattr(generator, 'name', generator)!r})."
            )
        if reverse_generator is not None:
            raise ElectraError("`reverse_generator` is only for the 'electric' objective.")
        return discriminator, None

    @classmethod
    def _adapt(cls, discriminator, generator, reverse_generator, strategy, sharing):
        """`(generator, (discriminator encoder, generator encoder, GDES layer))` for keras-hub backbones."""
        kind = type(discriminator).__name__
        if strategy.name == "electric":
            raise ElectraError(
                "The 'electric' objective rebuilds its generator as two one-directional "
                "towers (`attention_direction`), which only `ElectraBackbone` has; "
                f"the discriminator is a {kind}. Use 'electra', 'mlm' or 'uniform'."
            )
        if reverse_generator is not None:
            raise ElectraError("`reverse_generator` is only for the 'electric' objective.")
        discriminator_encoder = EncoderAdapter(discriminator)
        if not strategy.tower_directions:
            return None, (discriminator_encoder, None, None)
        if sharing == "shared_encoder":
            generator, _ = cls._shared_encoder(discriminator, generator, None, strategy)
            return generator, (discriminator_encoder, discriminator_encoder, None)
        if generator is None:
            raise ElectraError(
                f"The {strategy.name!r} objective needs a `generator` backbone."
            )
        if isinstance(generator, ElectraBackbone):
            raise ElectraError(
                f"The discriminator is a {kind} but the generator an ElectraBackbone; "
                "pass two ElectraBackbones, or two other keras-hub backbones."
            )
        generator_encoder = EncoderAdapter(generator)
        own = tuple(discriminator_encoder.token_embedding.embeddings.shape)
        theirs = tuple(generator_encoder.token_embedding.embeddings.shape)
        _check_vocabulary("generator", theirs[0], own[0])
        if sharing != "untied" and own != theirs:
            raise ElectraError(
                f"`embedding_sharing={sharing!r}` needs token tables of one shape, but "
                f"the generator's token embedding is {theirs} (vocabulary x width) and "
                f"the discriminator's {own}. {type(generator).__name__} and {kind} embed "
                "tokens at their hidden width, so give both the same hidden_dim, or use "
                "'untied'."
            )
        gdes = None
        if sharing == "tied":
            generator_encoder = EncoderAdapter(generator, discriminator_encoder.token_embedding)
        elif sharing == "gdes":
            gdes = GradientDisentangledEmbedding(
                generator_encoder.token_embedding, name="gdes_embedding"
            )
            gdes.build()
            discriminator_encoder = EncoderAdapter(discriminator, gdes)
        return generator, (discriminator_encoder, generator_encoder, gdes)

    @staticmethod
    def _check_and_share(discriminator, generator, reverse_generator, strategy, sharing):
        if generator is None:
            raise ValueError(
                f"The {strategy.name!r} objective needs a `generator` backbone (or use "
                "`ElectraPretrainer.from_size`)."
            )
        for name, tower in (("generator", generator), ("reverse_generator", reverse_generator)):
            if tower is None:
                continue
            if not isinstance(tower, ElectraBackbone):
                raise ValueError(
                    f"`{name}` must be an `ElectraBackbone`. Received: {type(tower).__name__}."
                )
            _check_vocabulary(name, tower.vocabulary_size, discriminator.vocabulary_size)
            if sharing != "untied" and tower.embedding_dim != discriminator.embedding_dim:
                raise ValueError(
                    f"`embedding_sharing={sharing!r}` needs equal embedding_dim, but "
                    f"the {name} has {tower.embedding_dim} and the discriminator "
                    f"{discriminator.embedding_dim}. Use 'untied' or equal widths."
                )
            if sharing != "untied":
                for key in ("max_sequence_length", "num_segments"):
                    if getattr(tower, key) != getattr(discriminator, key):
                        raise ValueError(
                            f"`embedding_sharing={sharing!r}` needs equal {key}: the "
                            f"{name} has {getattr(tower, key)}, the discriminator "
                            f"{getattr(discriminator, key)}."
                        )
        directions = strategy.tower_directions
        if "reverse_generator" not in directions:
            reverse_generator = None
        elif reverse_generator is None:
            reverse_generator = _rebuild(
                generator, attention_direction="right_to_left", name="reverse_generator"
            )
        towers = {"generator": generator, "reverse_generator": reverse_generator}
        if sharing == "tied":
            shared = discriminator.embeddings
            for key, direction in directions.items():
                tower = towers[key]
                if tower.embeddings is not shared or tower.attention_direction != direction:
                    towers[key] = _rebuild(tower, shared, attention_direction=direction)
        else:
            for key, direction in directions.items():
                tower = towers[key]
                if tower.attention_direction != direction or (
                    sharing == "gdes" and key == "reverse_generator"
                    and tower.embeddings is not towers["generator"].embeddings
                ):
                    embedding = (
                        towers["generator"].embeddings
                        if sharing == "gdes" and key == "reverse_generator" else None
                    )
                    towers[key] = _rebuild(tower, embedding, attention_direction=direction)
            if sharing == "gdes":
                source = towers["generator"].token_embedding
                current = discriminator.embeddings.token_embedding
                if not (isinstance(current, GradientDisentangledEmbedding) and current.source is source):
                    gdes = GradientDisentangledEmbedding(source, name="token_embedding")
                    discriminator = _rebuild(
                        discriminator, _embedding_like(discriminator, gdes)
                    )
        return towers["generator"], towers["reverse_generator"], discriminator

    @classmethod
    def from_size(
        cls,
        discriminator_config,
        generator_hidden_fraction=0.25,
        generator_layer_fraction=1.0,
        **kwargs,
    ):
        """Builds both backbones from a discriminator config and a generator size.

        The generator size follows the original `get_generator_config` via
        `keras_electra.models.sizes.ModelSize.generator`: width
        `round(H * fraction)`, heads `max(1, width // 64)`, feed-forward
        `4 * width`, depth `round(L * layers fraction)`. The paper uses 1/4 for
        small and large and 1/3 for base.

        Args:
            discriminator_config: dict of `ElectraBackbone` arguments, or a
                `ModelSize`.
            generator_hidden_fraction: float. Generator width fraction.
            generator_layer_fraction: float. Generator depth fraction.
                Both fractions are unused with
                `embedding_sharing="shared_encoder"` (full-size generator).
            **kwargs: other `ElectraPretrainer` arguments.
        """
        from keras_electra.models.sizes import ModelSize

        if isinstance(discriminator_config, ModelSize):
            discriminator_config = discriminator_config.backbone_kwargs()
        config = dict(discriminator_config)
        config.setdefault("embedding_dim", config["hidden_dim"])
        return cls.from_discriminator(
            ElectraBackbone(**config, name="discriminator"),
            generator_hidden_fraction, generator_layer_fraction, **kwargs,
        )

    @classmethod
    def from_discriminator(
        cls,
        discriminator,
        generator_hidden_fraction=0.25,
        generator_layer_fraction=1.0,
        **kwargs,
    ):
        """Builds a fresh generator for a given discriminator `ElectraBackbone`.

        For continued pretraining: the discriminator may be a trained one
        (`ElectraBackbone.from_preset` of an ELECTRA or BERT checkpoint). The
        generator is sized from it as in `from_size` and starts from random
        weights (tied: around the discriminator's embeddings).

        Args:
            discriminator: `ElectraBackbone`.
            generator_hidden_fraction: float. Generator width fraction.
            generator_layer_fraction: float. Generator depth fraction.
            **kwargs: other `ElectraPretrainer` arguments.

        Example:
        ```python
        from keras_electra.models import ElectraBackbone, ElectraPretrainer

        discriminator = ElectraBackbone(
            vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=32,
            intermediate_dim=64, max_sequence_length=16)
        pretrainer = ElectraPretrainer.from_discriminator(
            discriminator, mask_token_id=4, cls_token_id=2, sep_token_id=3)
        pretrainer.generator.hidden_dim  # 8
        ```
        """
        from keras_electra.models.sizes import ModelSize

        config = {k: v for k, v in discriminator.get_config().items()
                  if (k in CONFIG_FIELDS and k != "attention_direction") or k == "dtype"}
        size_keys = [f for f in ModelSize.__dataclass_fields__]
        size = ModelSize(**{k: config[k] for k in size_keys if k in config})
        generator_config = dict(config)
        generator_config.update(
            size.generator(generator_hidden_fraction, generator_layer_fraction).backbone_kwargs()
        )
        generator = None
        directions = get_objective(kwargs.get("objective", "electra")).tower_directions
        if kwargs.get("embedding_sharing") == "shared_encoder":
            pass  # the generator is the discriminator (size fractions unused)
        elif directions:
            embedding = (
                discriminator.embeddings
                if kwargs.get("embedding_sharing", "tied") == "tied" else None
            )
            generator_config["attention_direction"] = directions["generator"]
            generator = ElectraBackbone(
                **generator_config, embedding_layer=embedding, name="generator"
            )
        return cls(discriminator, generator, **kwargs)

    # --- Forward pass ---------------------------------------------------------

    def _mask(self, inputs):
        """The `MaskedBatch` of `inputs`: masked in-graph, or as given pre-masked."""
        token_ids = ops.cast(inputs["token_ids"], "int32")
        if "masked_lm_positions" in inputs:
            positions = ops.cast(inputs["masked_lm_positions"], "int32")
            targets = ops.cast(inputs["masked_lm_ids"], "int32")
            weights = inputs.get("masked_lm_weights")
            weights = ops.ones_like(targets, "float32") if weights is None else ops.cast(weights, "float32")
            original, _ = scatter_positions(token_ids, positions, targets, weights)
            return MaskedBatch(inputs, original, token_ids, positions, targets, weights)
        masked = self.masking(token_ids, inputs["padding_mask"])
        return MaskedBatch(
            inputs, token_ids, masked["token_ids"], masked["masked_lm_positions"],
            masked["masked_lm_ids"], masked["masked_lm_weights"],
        )

    def part(self, backbone):
        """`backbone` itself (an `ElectraBackbone`) or its `EncoderAdapter`.

        Either has `vocabulary_size`, `hidden_dim`, `layer_norm_epsilon` and
        `initializer_range`.
        """
        if self._discriminator_encoder is None:
            return backbone
        if backbone is self.discriminator:
            return self._discriminator_encoder
        return self._generator_encoder

    def token_table(self, backbone):
        """The token-embedding layer `backbone` reads in this pretrainer (shared or GDES)."""
        part = self.part(backbone)
        return part.token_table if isinstance(part, EncoderAdapter) else part.token_embedding

    def encode(self, backbone, token_ids, inputs, training=False):
        """`[B, T, H]` sequence output of the discriminator or generator `backbone` on `token_ids`."""
        part = self.part(backbone)
        if isinstance(part, EncoderAdapter):
            return part(token_ids, inputs, training=training)
        return backbone(self.backbone_inputs(token_ids, inputs), training=training)["sequence_output"]

    def backbone_inputs(self, token_ids, inputs):
        """The backbone input dict for `token_ids` with `inputs`' segments and padding."""
        return {
            "token_ids": token_ids,
            "segment_ids": ops.cast(inputs["segment_ids"], "int32"),
            "padding_mask": ops.cast(inputs["padding_mask"], "int32"),
        }

    def cloze_logits(self, token_ids, inputs, training=False):
        """Electric's two-tower cloze logits `[B, T, V]` on unmasked `token_ids`."""
        backbone_inputs = self.backbone_inputs(token_ids, inputs)
        ltr = self.generator(backbone_inputs, training=training)["sequence_output"]
        rtl = self.reverse_generator(backbone_inputs, training=training)["sequence_output"]
        # Position t sees ltr[t-1] and rtl[t+1]. The original's
        # `TwoTowerClozeTransformer` wraps around (`roll(ltr_reprs, -1)`,
        # `roll(rtl_reprs, 1)` in run_pretraining.py): position 0 reads
        # ltr[T-1] and position T-1 reads rtl[0]. "zeros" reads zeros there.
        if self.electric_shift == "roll":
            left = ops.concatenate([ltr[:, -1:, :], ltr[:, :-1, :]], axis=1)
            right = ops.concatenate([rtl[:, 1:, :], rtl[:, :1, :]], axis=1)
        else:
            left = ops.pad(ltr[:, :-1, :], [[0, 0], [1, 0], [0, 0]])
            right = ops.pad(rtl[:, 1:, :], [[0, 0], [0, 1], [0, 0]])
        return self.generator_head(ops.concatenate([left, right], axis=-1))

    def build(self, input_shape=None):
        # Explicit, so Keras never traces `call` to build: on torch that trace
        # runs on uninitialised integer placeholders.
        if self.generator_head is not None and not self.generator_head.built:
            width = self.objective_strategy.lm_head_width(self)
            self.generator_head.build((None, None, width))
        if self.discriminator_head is not None and not self.discriminator_head.built:
            self.discriminator_head.build((None, None, self.part(self.discriminator).hidden_dim))
        self.built = True

    def call(self, inputs, training=False):
        strategy = self.objective_strategy
        batch = self._mask(inputs)
        outputs = {
            "masked_lm_positions": batch.positions,
            "masked_lm_ids": batch.targets,
            "masked_lm_weights": batch.weights,
            "padding_mask": ops.cast(inputs["padding_mask"], "float32"),
        }
        generation = strategy.generate(self, batch, training)
        outputs.update(generation.outputs)
        outputs["lm_outputs"] = generation.lm_logits
        outputs["masked_lm_nll"], lm_log_probs = masked_lm_nll(generation.lm_logits, batch.targets)
        if not strategy.has_discriminator:
            return outputs

        disallow = None
        if self.disallow_correct:
            disallow = ops.one_hot(batch.targets, self.part(self.discriminator).vocabulary_size)
        # The log-probabilities are the logits shifted per row: same samples' law.
        sampled = sample_from_logits(lm_log_probs, self.sampling_seed, self.temperature, disallow)
        fake_ids, written = scatter_positions(batch.original, batch.positions, sampled, batch.weights)
        labels = strategy.disc_labels(written, fake_ids, batch.original)
        hidden = self.encode(self.discriminator, fake_ids, inputs, training=training)
        disc_logits = strategy.disc_logits(
            ops.cast(self.discriminator_head(hidden), "float32"), fake_ids, generation,
            self.mask_probability,
        )
        outputs.update(
            {
                "sampled_ids": sampled,
                "disc_input_ids": fake_ids,
                "disc_logits": disc_logits,
                "disc_label": labels,
            }
        )
        return outputs

    # --- Loss and metrics -----------------------------------------------------

    @staticmethod
    def _disc_losses(outputs):
        logits = outputs["disc_logits"]
        labels = ops.cast(outputs["disc_label"], "float32")
        return ops.maximum(logits, 0) - logits * labels + ops.log1p(ops.exp(-ops.abs(logits)))

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        total = self.objective_strategy.generator_loss(y_pred)
        if self.objective_strategy.has_discriminator:
            mask = y_pred["padding_mask"]
            disc_loss = ops.sum(self._disc_losses(y_pred) * mask) / (ops.sum(mask) + 1e-6)
            total = self.generator_weight * total + self.discriminator_weight * disc_loss
        if self.losses:
            total = total + ops.sum(self.losses)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        m = self._metric_trackers
        weights = y_pred["masked_lm_weights"]
        targets = ops.cast(y_pred["masked_lm_ids"], "int32")
        predictions = ops.cast(ops.argmax(y_pred["lm_outputs"], axis=-1), "int32")
        m["masked_lm_accuracy"].update_state(
            ops.cast(ops.equal(predictions, targets), "float32"), sample_weight=weights
        )
        m["masked_lm_loss"].update_state(y_pred["masked_lm_nll"], sample_weight=weights)
        if self.objective_strategy.has_discriminator:
            m["sampled_masked_lm_accuracy"].update_state(
                ops.cast(ops.equal(y_pred["sampled_ids"], targets), "float32"),
                sample_weight=weights,
            )
            mask = y_pred["padding_mask"]
            labels = ops.cast(y_pred["disc_label"], "float32")
            logits = y_pred["disc_logits"]
            per_example = ops.sum(self._disc_losses(y_pred) * mask, axis=-1) / (
                ops.sum(mask, axis=-1) + 1e-6
            )
            m["disc_loss"].update_state(per_example)
            m["disc_auc"].update_state(labels, ops.sigmoid(logits), sample_weight=mask)
            if "original_disc_auc" in m:
                # run_pretraining.py: `tf.metrics.auc(d["disc_labels"] *
                # d["input_mask"], d["disc_probs"] * input_mask)`, unweighted.
                m["original_disc_auc"].update_state(labels * mask, ops.sigmoid(logits) * mask)
            preds = ops.cast(logits > 0, "float32")
            correct = ops.cast(ops.equal(preds, labels), "float32")
            m["disc_accuracy"].update_state(correct, sample_weight=mask)
            m["disc_precision"].update_state(correct, sample_weight=preds * mask)
            m["disc_recall"].update_state(correct, sample_weight=labels * mask)
        return self.get_metrics_result()

    # --- Standalone backbones ------------------------------------------------

    def export_discriminator(self):
        """The discriminator as a standalone backbone of its class (GDES materialised).

        An `ElectraBackbone`, or a fresh copy of a keras-hub discriminator
        (e.g. `BertBackbone`) whose token table is the one it read here
        (generator table + delta under GDES).

        `keras_electra.convert.pretrainer_export.export_presets` saves it
        (and the generator or Electric scorer) as presets.
        """
        source = self.discriminator
        if self._discriminator_encoder is not None:
            return self._export_adapted(source)
        plain = _rebuild(source, name="discriminator")
        if isinstance(source.embeddings.token_embedding, GradientDisentangledEmbedding):
            table = ops.convert_to_numpy(source.embeddings.token_embedding.embeddings)
            plain.embeddings.token_embedding.embeddings.assign(table)
            for name in ("position_embedding", "segment_embedding", "layer_norm"):
                getattr(plain.embeddings, name).set_weights(
                    getattr(source.embeddings, name).get_weights()
                )
            if source.embeddings_projection is not None:
                plain.embeddings_projection.set_weights(source.embeddings_projection.get_weights())
            for mine, theirs in zip(plain.transformer_layers, source.transformer_layers):
                mine.set_weights(theirs.get_weights())
        else:
            plain.set_weights(source.get_weights())
        return plain

    def export_generator(self):
        """The (bidirectional) generator as a standalone backbone with its own embeddings.

        A keras-hub generator tied to the discriminator gets the shared table.
        """
        if self._generator_encoder is not None:
            return self._export_adapted(self.generator)
        generator = _rebuild(self.generator, name="generator")
        generator.set_weights(self.generator.get_weights())
        return generator

    def _export_adapted(self, backbone):
        """A fresh copy of a keras-hub `backbone` with the token table it reads here."""
        plain = type(backbone).from_config(backbone.get_config())
        plain.set_weights(backbone.get_weights())
        table = self.token_table(backbone)
        if table is not backbone.token_embedding:
            plain.token_embedding.embeddings.assign(ops.convert_to_numpy(table.embeddings))
        return plain

    # --- Serialization --------------------------------------------------------

    def get_config(self):
        config = {
            "name": self.name,
            "trainable": self.trainable,
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "generator": (
                None if self.generator is None or self.generator is self.discriminator
                else keras.saving.serialize_keras_object(self.generator)
            ),
            "reverse_generator": (
                None if self.reverse_generator is None
                else keras.saving.serialize_keras_object(self.reverse_generator)
            ),
        }
        for key in (
            "objective", "embedding_sharing", "mask_token_id", "cls_token_id",
            "sep_token_id", "pad_token_id", "mask_probability", "max_predictions", "mask_token_rate",
            "random_token_rate", "generator_weight", "discriminator_weight",
            "temperature", "disallow_correct", "position_sampling", "electric_shift",
            "electric_energy_init", "original_disc_auc", "seed",
        ):
            config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("discriminator", "generator", "reverse_generator"):
            if config.get(key) is not None:
                config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _check_vocabulary(name, theirs, own):
    """An `ElectraError` (a `ValueError`) when a tower's vocabulary is not the discriminator's."""
    if theirs != own:
        raise ElectraError(
            f"Vocabulary mismatch: the {name} has vocabulary_size={theirs} but the "
            f"discriminator has {own}."
        )
