"""The reference side of the benchmark: transformers' ELECTRA in PyTorch.

The RTD step mirrors `ElectraPretrainer`: a generator and a discriminator with
tied embeddings (one `ElectraEmbeddings` module; the generator keeps its own
projection), the same in-graph masking rule, the MLM head applied at masked
positions only, Gumbel-max sampling under no-grad, 1·MLM + 50·RTD loss and
AdamW. Run eager or under `torch.compile`.
"""

import statistics
import time

from keras_electra.benchmark.inputs import num_predictions
from keras_electra.benchmark.inputs import synthetic_batch
from keras_electra.benchmark.memory import torch_peak_memory
from keras_electra.convert.transformers_config import HIDDEN_ACT
from keras_electra.convert.transformers_config import to_transformers_config


def _config(size, **kwargs):
    from transformers import ElectraConfig

    return ElectraConfig(
        **to_transformers_config(size.backbone_kwargs()), hidden_act=HIDDEN_ACT, **kwargs
    )


def _mask(torch, token_ids, padding_mask, mask_probability, max_predictions, generator):
    """Static-shape masking, the same rule as `keras_electra`'s masking layer."""
    candidates = (token_ids > 4) & padding_mask.bool()
    scores = torch.rand(token_ids.shape, device=token_ids.device, generator=generator)
    scores = torch.where(candidates, scores, torch.full_like(scores, -1.0))
    positions = scores.topk(max_predictions, dim=1).indices
    num_real = padding_mask.sum(1, keepdim=True).float()
    count = (num_real * mask_probability).round().clamp(1, max_predictions)
    weights = (torch.arange(max_predictions, device=token_ids.device)[None] < count)
    weights = weights & candidates.gather(1, positions)
    keep = torch.rand(positions.shape, device=token_ids.device, generator=generator) < 0.15
    originals = token_ids.gather(1, positions)
    replaced = torch.where(weights & ~keep, torch.full_like(originals, 4), originals)
    masked_ids = token_ids.scatter(1, positions, replaced)
    return masked_ids, positions, originals, weights.float()


def build_rtd(torch, discriminator, generator, device):
    from transformers import ElectraForMaskedLM
    from transformers import ElectraForPreTraining

    disc = ElectraForPreTraining(_config(discriminator)).to(device)
    gen = ElectraForMaskedLM(_config(generator)).to(device)
    gen.electra.embeddings = disc.electra.embeddings
    gen.generator_lm_head.weight = disc.electra.embeddings.word_embeddings.weight
    return disc, gen


def rtd_loss_fn(torch, disc, gen, mask_probability, max_predictions):
    functional = torch.nn.functional

    def loss_fn(token_ids, segment_ids, padding_mask, generator=None):
        masked_ids, positions, originals, weights = _mask(
            torch, token_ids, padding_mask, mask_probability, max_predictions, generator
        )
        hidden = gen.electra(
            masked_ids, attention_mask=padding_mask, token_type_ids=segment_ids
        ).last_hidden_state
        index = positions[..., None].expand(-1, -1, hidden.shape[-1])
        logits = gen.generator_lm_head(gen.generator_predictions(hidden.gather(1, index)))
        mlm = functional.cross_entropy(
            logits.float().flatten(0, 1), originals.flatten(), reduction="none"
        )
        mlm = (mlm * weights.flatten()).sum() / weights.sum().clamp(min=1.0)
        with torch.no_grad():
            uniform = torch.rand(logits.shape, device=logits.device).clamp(1e-9, 1.0)
            sampled = (logits.float() - torch.log(-torch.log(uniform))).argmax(-1)
            sampled = torch.where(weights.bool(), sampled, originals)
            fake_ids = token_ids.scatter(1, positions, sampled)
            labels = (fake_ids != token_ids).float()
        disc_logits = disc(
            fake_ids, attention_mask=padding_mask, token_type_ids=segment_ids
        ).logits
        real = padding_mask.float()
        rtd = functional.binary_cross_entropy_with_logits(
            disc_logits.float(), labels, reduction="none"
        )
        rtd = (rtd * real).sum() / real.sum()
        return mlm + 50.0 * rtd

    return loss_fn


def build_classifier(torch, size, device):
    from transformers import ElectraModel

    class Classifier(torch.nn.Module):
        """ElectraModel + dropout + dense on [CLS]: the `original` head."""

        def __init__(self):
            super().__init__()
            self.electra = ElectraModel(_config(size))
            self.dropout = torch.nn.Dropout(0.1)
            self.dense = torch.nn.Linear(size.hidden_dim, 2)

        def forward(self, token_ids, segment_ids, padding_mask):
            hidden = self.electra(
                token_ids, attention_mask=padding_mask, token_type_ids=segment_ids
            ).last_hidden_state
            return self.dense(self.dropout(hidden[:, 0]))

    return Classifier().to(device)


def run(spec, discriminator, generator, mask_probability):
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    batch, labels = synthetic_batch(spec["batch_size"], spec["sequence_length"],
                                    discriminator.vocabulary_size)
    batch = {k: torch.as_tensor(v, dtype=torch.long, device=device) for k, v in batch.items()}
    labels = torch.as_tensor(labels, dtype=torch.long, device=device)
    bf16 = spec["precision"] == "bfloat16"
    autocast = torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=bf16)
    workload = spec["workload"]

    if workload == "pretrain":
        disc, gen = build_rtd(torch, discriminator, generator, device)
        params = list({id(p): p for p in [*disc.parameters(), *gen.parameters()]}.values())
        loss_fn = rtd_loss_fn(
            torch, disc, gen, mask_probability,
            num_predictions(spec["sequence_length"], mask_probability),
        )
        modules = [disc, gen]
    else:
        model = build_classifier(torch, discriminator, device)
        params = list(model.parameters())
        modules = [model]

        def loss_fn(token_ids, segment_ids, padding_mask):
            logits = model(token_ids, segment_ids, padding_mask)
            return torch.nn.functional.cross_entropy(logits.float(), labels)

    if spec["mode"] == "compile":
        loss_fn = torch.compile(loss_fn)
    optimizer = torch.optim.AdamW(
        params, lr=1e-4, weight_decay=0.01, eps=1e-6, fused=device == "cuda"
    )

    def train_step():
        with autocast:
            loss = loss_fn(**batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    @torch.no_grad()
    def infer_step():
        with autocast:
            return modules[0](**batch)

    step = infer_step if workload == "inference" else train_step
    for module in modules:
        module.train(workload != "inference")

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    for _ in range(spec["warmup_steps"]):
        step()
    sync()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    step_times = []
    for _ in range(spec.get("repeats", 1)):
        start = time.perf_counter()
        for _ in range(spec["steps"]):
            out = step()
        float(out.float().sum())  # forces completion of the last step
        sync()
        step_times.append((time.perf_counter() - start) / spec["steps"])
    return {
        "step_time_s": statistics.median(step_times),
        "step_times_s": step_times,
        "peak_memory_bytes": torch_peak_memory(torch),
        "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
    }
