"""Named public ELECTRA checkpoints and the handles they resolve to.

The six checkpoints released with the paper (google-research/electra). Each
name resolves to the Hugging Face copy of the checkpoint, which is converted
on load; loading needs network access.
"""

PRESETS = {
    "electra_small_discriminator_en": {
        "description": "ELECTRA-Small discriminator, uncased English. 12 layers, hidden 256, embedding 128, 4 heads.",
        "params": 13_548_800,
        "role": "discriminator",
        "size": "small",
        "handle": "hf://google/electra-small-discriminator",
        "kaggle_handle": "kaggle://keras/electra/keras/electra_small_discriminator_uncased_en",
    },
    "electra_small_generator_en": {
        "description": "ELECTRA-Small generator, uncased English. 12 layers, hidden 256, embedding 128, 4 heads.",
        "params": 13_548_800,
        "role": "generator",
        "size": "small",
        "handle": "hf://google/electra-small-generator",
        "kaggle_handle": None,
    },
    "electra_base_discriminator_en": {
        "description": "ELECTRA-Base discriminator, uncased English. 12 layers, hidden 768, 12 heads.",
        "params": 108_891_648,
        "role": "discriminator",
        "size": "base",
        "handle": "hf://google/electra-base-discriminator",
        "kaggle_handle": "kaggle://keras/electra/keras/electra_base_discriminator_uncased_en",
    },
    "electra_base_generator_en": {
        "description": "ELECTRA-Base generator, uncased English. 12 layers, hidden 256, embedding 768, 4 heads.",
        "params": 33_576_960,
        "role": "generator",
        "size": "base",
        "handle": "hf://google/electra-base-generator",
        "kaggle_handle": None,
    },
    "electra_large_discriminator_en": {
        "description": "ELECTRA-Large discriminator, uncased English. 24 layers, hidden 1024, 16 heads.",
        "params": 334_092_288,
        "role": "discriminator",
        "size": "large",
        "handle": "hf://google/electra-large-discriminator",
        "kaggle_handle": "kaggle://keras/electra/keras/electra_large_discriminator_uncased_en",
    },
    "electra_large_generator_en": {
        "description": "ELECTRA-Large generator, uncased English. 24 layers, hidden 256, embedding 1024, 4 heads.",
        "params": 50_743_552,
        "role": "generator",
        "size": "large",
        "handle": "hf://google/electra-large-generator",
        "kaggle_handle": None,
    },
}


def resolve_preset(preset):
    """Maps a registered preset name to its handle; other strings pass through."""
    if preset in PRESETS:
        return PRESETS[preset]["handle"]
    return preset
