"""Model FLOPs of ELECTRA workloads, computed from the configuration.

Counts multiply-adds as two FLOPs, forward matmuls only (the usual MFU
convention); a training step is three times its forward pass. Element-wise
work (LayerNorm, GELU, softmax) and the embedding gathers are not counted.
"""


def encoder_forward_flops(size, batch_size, sequence_length):
    """Forward FLOPs of one `ElectraBackbone` over a batch.

    Args:
        size: a `ModelSize` (or anything with its attributes).
        batch_size: int.
        sequence_length: int.
    """
    tokens = batch_size * sequence_length
    hidden, inner = size.hidden_dim, size.intermediate_dim
    per_token_layer = 2 * (4 * hidden * hidden + 2 * hidden * inner)
    # Scores QK^T and the weighted sum AV: 2 * 2 * T * H per token.
    per_token_layer += 4 * sequence_length * hidden
    flops = tokens * size.num_layers * per_token_layer
    if size.embedding_dim != size.hidden_dim:
        flops += tokens * 2 * size.embedding_dim * hidden
    return flops


def pretrain_step_flops(
    discriminator, generator, batch_size, sequence_length, num_predictions
):
    """FLOPs of one replaced-token-detection training step.

    Generator encoder over every token, its MLM head (dense to the embedding
    width, then the tied vocabulary projection) at the masked positions only,
    and the discriminator encoder plus its head (dense H→H, dense H→1).

    Args:
        discriminator: `ModelSize` of the discriminator.
        generator: `ModelSize` of the generator.
        batch_size: int.
        sequence_length: int.
        num_predictions: int. Masked positions per sequence.
    """
    tokens = batch_size * sequence_length
    masked = batch_size * num_predictions
    embed = generator.embedding_dim
    forward = encoder_forward_flops(generator, batch_size, sequence_length)
    forward += masked * 2 * (generator.hidden_dim * embed + embed * generator.vocabulary_size)
    forward += encoder_forward_flops(discriminator, batch_size, sequence_length)
    hidden = discriminator.hidden_dim
    forward += tokens * 2 * (hidden * hidden + hidden)
    return 3 * forward


def finetune_step_flops(size, batch_size, sequence_length, num_classes=2):
    """FLOPs of one classification fine-tuning step (encoder + [CLS] dense)."""
    forward = encoder_forward_flops(size, batch_size, sequence_length)
    forward += batch_size * 2 * size.hidden_dim * num_classes
    return 3 * forward


def inference_flops(size, batch_size, sequence_length, num_classes=2):
    """FLOPs of one classification forward pass."""
    return finetune_step_flops(size, batch_size, sequence_length, num_classes) // 3
