"""The same pretraining recipe in transformers, beside keras-electra's curve.

Trains transformers' `ElectraForPreTraining` (discriminator) and
`ElectraForMaskedLM` (generator, sharing the discriminator's embeddings, as
the original; `embeddings_project` and the RTD output layer glorot-uniform, as
the original) on the same batches as `tools/pretraining_curves.py`: same
corpus, WordPiece vocabulary, seed and example packing, the same sizes and
recipe. Masking, sampling, losses and the optimizer are re-implemented here
from google-research/electra (`pretrain_helpers.mask`: positions drawn with
replacement, 85% [MASK] / 15% kept; Gumbel sampling at the recipe's
temperature; `gen_weight * mlm + disc_weight * disc`; AdamW without bias
correction, decay off for LayerNorm and biases, global-norm clipping, linear
warmup times linear decay). With `--keras` it first runs keras-electra on the
same settings and prints both curves side by side (per interval: disc_auc,
masked-LM accuracy, disc recall). `--objective mlm` runs the MLM baseline
instead (`ElectraForMaskedLM` at the discriminator's size, masked-LM loss
alone) and prints the unigram entropy of the tokens: the loss of a model that
has learned word frequency and no context (guides/pretraining.md, "the unigram
plateau").

Example:
```
python tools/natural_text_corpus.py --out /tmp/natural
PYTHONPATH=. KERAS_BACKEND=torch python tools/transformers_pretraining_curves.py \\
    --data /tmp/natural/pretrain.txt --recipe demo --keras --out /tmp/side_by_side.json
PYTHONPATH=. KERAS_BACKEND=torch python tools/transformers_pretraining_curves.py \\
    --data /tmp/natural/pretrain.txt --recipe tiny --objective mlm --steps 3000 --keras
```
"""

import argparse
import dataclasses
import json
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import pretraining_curves  # noqa: E402


def mask_batch(ids, padding_mask, recipe, special_ids, mask_id, rng):
    """The original's `pretrain_helpers.mask` in numpy (with replacement, 85/15)."""
    import numpy as np

    batch, length = ids.shape
    slots = recipe.max_predictions_per_sequence
    candidates = (padding_mask > 0) & ~np.isin(ids, special_ids)
    positions = np.zeros((batch, slots), "int64")
    weights = np.zeros((batch, slots), "float32")
    masked = ids.copy()
    for row in range(batch):
        count = int(max(1, min(slots, round(padding_mask[row].sum() * recipe.mask_probability))))
        allowed = np.flatnonzero(candidates[row])
        if not len(allowed):
            continue
        draw = rng.choice(allowed, size=slots, replace=True)
        positions[row] = draw
        weights[row, :count] = 1.0
        use_mask = rng.random(slots) < recipe.mask_token_rate
        for k in range(count):
            if use_mask[k]:
                masked[row, draw[k]] = mask_id
    return masked, positions, weights


def optimizer_step(parameters, state, learning_rate, recipe):
    """AdamWeightDecayOptimizer of google-research/electra (no bias correction)."""
    import torch

    grads = [p.grad for _, p in parameters if p.grad is not None]
    norm = torch.sqrt(sum((g.float() ** 2).sum() for g in grads))
    scale = min(1.0, recipe.global_clipnorm / (float(norm) + 1e-12))
    with torch.no_grad():
        for name, p in parameters:
            if p.grad is None:
                continue
            g = p.grad * scale
            m, v = state.setdefault(name, (torch.zeros_like(p), torch.zeros_like(p)))
            m.mul_(0.9).add_(g, alpha=0.1)
            v.mul_(0.999).addcmul_(g, g, value=0.001)
            update = m / (v.sqrt() + recipe.adam_epsilon)
            if not ("LayerNorm" in name or name.endswith("bias")):
                update = update + recipe.weight_decay * p
            p.add_(update, alpha=-learning_rate)


def learning_rate_at(step, recipe):
    """Linear warmup times polynomial decay, as `ElectraLearningRateSchedule`."""
    total = recipe.num_train_steps
    decayed = recipe.learning_rate * (1 - min(step, total) / total) ** recipe.lr_decay_power
    warmup = min(1.0, step / recipe.warmup_steps) if recipe.warmup_steps else 1.0
    return decayed * warmup


def electra_config(size, recipe, vocabulary_size):
    """transformers' `ElectraConfig` of a `ModelSize` under `recipe`."""
    from transformers import ElectraConfig

    return ElectraConfig(
        vocab_size=vocabulary_size, embedding_size=size.embedding_dim,
        hidden_size=size.hidden_dim, num_hidden_layers=size.num_layers,
        num_attention_heads=size.num_heads, intermediate_size=size.intermediate_dim,
        max_position_embeddings=max(size.max_sequence_length, recipe.sequence_length),
    )


def glorot_uniform(layers):
    """TF's default kernel initializer, which the original's `embeddings_project`
    and RTD output layer have (transformers: normal(0.02)); biases zero."""
    import torch

    for layer in layers:
        torch.nn.init.xavier_uniform_(layer.weight)
        torch.nn.init.zeros_(layer.bias)


def embedding_projections(*models):
    """The `embeddings_project` layers of the models that have one."""
    return [m.electra.embeddings_project for m in models
            if hasattr(m.electra, "embeddings_project")]


def build_models(recipe, vocabulary_size):
    from transformers import ElectraForMaskedLM
    from transformers import ElectraForPreTraining

    discriminator = ElectraForPreTraining(electra_config(recipe.model, recipe, vocabulary_size))
    generator = ElectraForMaskedLM(
        electra_config(recipe.generator_model, recipe, vocabulary_size))
    glorot_uniform([discriminator.discriminator_predictions.dense_prediction]
                   + embedding_projections(discriminator, generator))
    # The original ties the generator's embeddings (and its MLM output) to the
    # discriminator's.
    generator.electra.embeddings = discriminator.electra.embeddings
    generator.generator_lm_head.weight = discriminator.electra.embeddings.word_embeddings.weight
    return discriminator, generator


def build_mlm_model(recipe, vocabulary_size):
    """The MLM baseline: `ElectraForMaskedLM` at the discriminator's size."""
    from transformers import ElectraForMaskedLM

    model = ElectraForMaskedLM(electra_config(recipe.model, recipe, vocabulary_size))
    glorot_uniform(embedding_projections(model))
    return model


def entropy_of_counts(counts):
    """Entropy in nats of the distribution with these counts."""
    import numpy as np

    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log(p)).sum())


def run_transformers(data, recipe, intervals=10, seed=0, workdir="/tmp/curves",
                     vocabulary_size=4000, verbose=True, objective="electra"):
    """Pretrains `recipe` with transformers; returns `{"rows": [...], ...}`.

    `objective` is `"electra"` (generator and discriminator) or `"mlm"` (the
    MLM baseline alone). `unigram_entropy` is the entropy of the maskable
    tokens seen (a plug-in estimate, low on short runs): the masked-LM loss of a
    model that predicts word frequency only.
    """
    import numpy as np
    import torch
    from sklearn.metrics import roc_auc_score

    from keras_electra.data import read_vocabulary
    from keras_electra.data import text_dataset

    torch.manual_seed(seed)
    vocab_path = pretraining_curves.vocabulary_for(data, vocabulary_size, workdir)
    vocabulary = read_vocabulary(vocab_path)
    ids_of = {t: vocabulary.index(t) for t in ("[PAD]", "[CLS]", "[SEP]", "[MASK]")}
    special = [ids_of["[CLS]"], ids_of["[SEP]"], ids_of["[MASK]"]]
    if objective == "mlm":
        models = (("mlm.", build_mlm_model(recipe, len(vocabulary))),)
        generator = models[0][1]
    elif objective == "electra":
        discriminator, generator = build_models(recipe, len(vocabulary))
        models = (("disc.", discriminator), ("gen.", generator))
    else:
        raise SystemExit(f"--objective {objective!r}: transformers runs 'electra' or 'mlm'")
    parameters = {}
    for prefix, model in models:
        model.train()
        for name, p in model.named_parameters():
            if all(p is not q for q in parameters.values()):
                parameters[prefix + name] = p
    parameters = list(parameters.items())
    state = {}
    rng = np.random.default_rng(seed)
    dataset = text_dataset(data, vocab_path, recipe.batch_size, seq_len=recipe.sequence_length,
                           seed=seed)
    steps = recipe.num_train_steps
    per = steps // intervals
    rows, cpu_times = [], []
    token_counts = np.zeros(len(vocabulary))
    batches = iter(dataset.as_numpy_iterator())
    for interval in range(intervals):
        labels_all, probs_all, correct, slots, recalled, replaced = [], [], 0.0, 0.0, 0.0, 0.0
        nll_sum = 0.0
        start, cpu = time.time(), time.process_time()
        for i in range(per):
            step = interval * per + i
            batch = next(batches)
            ids = batch["token_ids"].astype("int64")
            pad = batch["padding_mask"].astype("int64")
            segments = torch.as_tensor(batch["segment_ids"].astype("int64"))
            masked, positions, weights = mask_batch(ids, pad, recipe, special,
                                                    ids_of["[MASK]"], rng)
            masked_t, positions_t = torch.as_tensor(masked), torch.as_tensor(positions)
            weights_t, pad_t = torch.as_tensor(weights), torch.as_tensor(pad)
            targets = torch.gather(torch.as_tensor(ids), 1, positions_t)
            logits = generator(input_ids=masked_t, attention_mask=pad_t,
                               token_type_ids=segments).logits
            lm_logits = torch.gather(
                logits, 1, positions_t[..., None].expand(-1, -1, logits.shape[-1]))
            log_probs = torch.log_softmax(lm_logits.float(), -1)
            nll = -torch.gather(log_probs, -1, targets[..., None])[..., 0]
            mlm_loss = (nll * weights_t).sum() / (weights_t.sum() + 1e-6)
            live = weights_t > 0
            np.add.at(token_counts, ids[(pad > 0) & ~np.isin(ids, special)], 1)
            with torch.no_grad():
                correct += float(((lm_logits.argmax(-1) == targets).float() * weights_t).sum())
                slots += float(weights_t.sum())
                nll_sum += float((nll * weights_t).sum())
            if objective == "mlm":
                for _, p in parameters:
                    p.grad = None
                mlm_loss.backward()
                optimizer_step(parameters, state, learning_rate_at(step, recipe), recipe)
                continue
            with torch.no_grad():
                uniform = torch.rand_like(log_probs).clamp(1e-9, 1.0)
                gumbel = -torch.log(-torch.log(uniform))
                sampled = torch.argmax(log_probs / recipe.temperature + gumbel, -1)
            fake = masked_t.clone()
            written = torch.zeros_like(fake)
            rows_index = torch.arange(fake.shape[0])[:, None].expand_as(positions_t)
            fake[rows_index[live], positions_t[live]] = sampled[live]
            written[rows_index[live], positions_t[live]] = 1
            # Unwritten positions keep their original token (no [MASK] left).
            original = torch.as_tensor(ids)
            fake = torch.where(written > 0, fake, original)
            labels = (written * (fake != original)).float()
            disc_logits = discriminator(input_ids=fake, attention_mask=pad_t,
                                        token_type_ids=segments).logits
            per_token = torch.nn.functional.binary_cross_entropy_with_logits(
                disc_logits, labels, reduction="none")
            disc_loss = (per_token * pad_t).sum() / (pad_t.sum() + 1e-6)
            loss = recipe.generator_weight * mlm_loss + recipe.discriminator_weight * disc_loss
            for _, p in parameters:
                p.grad = None
            loss.backward()
            optimizer_step(parameters, state, learning_rate_at(step, recipe), recipe)
            with torch.no_grad():
                keep = pad_t > 0
                labels_all.append(labels[keep].numpy())
                probs_all.append(torch.sigmoid(disc_logits)[keep].numpy())
                recalled += float(((disc_logits > 0).float() * labels).sum())
                replaced += float(labels.sum())
        cpu_step = (time.process_time() - cpu) / per
        cpu_times.append(cpu_step)
        row = {"step": (interval + 1) * per}
        if labels_all:
            labels_np, probs_np = np.concatenate(labels_all), np.concatenate(probs_all)
            auc = roc_auc_score(labels_np, probs_np) if 0 < labels_np.sum() < len(labels_np) else 0.5
            row.update(disc_auc=round(float(auc), 4),
                       disc_recall=round(recalled / max(replaced, 1.0), 4))
        row.update(masked_lm_accuracy=round(correct / max(slots, 1.0), 4),
                   masked_lm_loss=round(nll_sum / max(slots, 1.0), 4),
                   seconds_per_step=round((time.time() - start) / per, 4),
                   cpu_seconds_per_step=round(cpu_step, 4))
        rows.append(row)
        if verbose:
            print("transformers", json.dumps(row), flush=True)
    steady = cpu_times[1:] or cpu_times
    return {"rows": rows, "cpu_seconds_per_step": round(sorted(steady)[len(steady) // 2], 4),
            "unigram_entropy": round(entropy_of_counts(token_counts), 4)}


def print_side_by_side(keras_rows, transformers_rows):
    if "disc_auc" not in transformers_rows[0]:
        print("| step | keras MLM acc | transformers MLM acc | keras MLM loss | "
              "transformers MLM loss |")
        print("|---|---|---|---|---|")
        for k, t in zip(keras_rows, transformers_rows):
            print(f"| {k['step']} | {k['masked_lm_accuracy']:.3f} | "
                  f"{t['masked_lm_accuracy']:.3f} | {k['masked_lm_loss']:.3f} | "
                  f"{t['masked_lm_loss']:.3f} |")
        return
    print("| step | keras-electra disc_auc | transformers disc_auc | keras MLM acc | "
          "transformers MLM acc | keras recall | transformers recall |")
    print("|---|---|---|---|---|---|---|")
    for k, t in zip(keras_rows, transformers_rows):
        print(f"| {k['step']} | {k['disc_auc']:.3f} | {t['disc_auc']:.3f} | "
              f"{k['masked_lm_accuracy']:.3f} | {t['masked_lm_accuracy']:.3f} | "
              f"{k['disc_recall']:.3f} | {t['disc_recall']:.3f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", nargs="+", required=True, help="text files")
    parser.add_argument("--recipe", default="demo")
    parser.add_argument("--objective", default="electra", choices=("electra", "mlm"),
                        help="'mlm': the MLM baseline (masked-LM loss alone)")
    parser.add_argument("--steps", type=int, dest="num_train_steps")
    parser.add_argument("--vocab-size", type=int, default=4000)
    parser.add_argument("--intervals", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--workdir", default="/tmp/pretraining_curves")
    parser.add_argument("--keras", action="store_true",
                        help="also run keras-electra and print both curves")
    parser.add_argument("--keras-results", help="a JSON of tools/pretraining_curves.py to "
                                                "compare with instead of running it")
    parser.add_argument("--out", help="JSON results file")
    for name, kind in {**pretraining_curves.RECIPE_FIELDS,
                       **pretraining_curves.SIZE_FIELDS}.items():
        if name != "num_train_steps":
            parser.add_argument("--" + name.replace("_", "-"), type=kind, dest=name)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    fields = {**pretraining_curves.RECIPE_FIELDS, **pretraining_curves.SIZE_FIELDS}
    recipe = pretraining_curves.resolve_recipe(args.recipe, {k: getattr(args, k) for k in fields})
    print(recipe, flush=True)
    result = {"recipe": dataclasses.asdict(recipe)}
    if args.keras_results:
        with open(args.keras_results, encoding="utf-8") as f:
            result["keras"] = json.load(f)
    elif args.keras:
        result["keras"] = pretraining_curves.run(args.data, recipe, args.objective,
                                                 args.intervals, args.seed, args.workdir,
                                                 args.vocab_size)
    result["transformers"] = run_transformers(args.data, recipe, args.intervals, args.seed,
                                              args.workdir, args.vocab_size,
                                              objective=args.objective)
    print(f"unigram entropy of the tokens seen: {result['transformers']['unigram_entropy']:.3f} "
          "nats (the masked-LM loss of word frequency alone)")
    if "keras" in result:
        print_side_by_side(result["keras"]["rows"], result["transformers"]["rows"])
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
