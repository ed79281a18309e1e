"""The trained demo presets shipped inside the package (no download).

`keras_electra/models/demo_model/` holds a discriminator and a generator
pretrained with the `demo` recipe on natural English (guides/pretraining.md,
"The shipped demo model" gives the command and the data). They are tiny
(64 wide, 2 layers) and trained for a few hundred steps: they show the main
job, they are no substitute for a released checkpoint (fine-tuned on SST-2, the
discriminator does worse than random weights, held back by its embedding tables;
tools/demo_finetune_sst2.py and guides/pretraining.md).

- `discriminator`: an `ElectraBackbone` preset with its tokenizer and
  `ElectraTextClassifierPreprocessor`, and its replaced token detection head
  as `discriminator_head.safetensors`
  (`keras_electra.convert.load_discriminator_head`).
- `generator`: an `ElectraMaskedLM` task preset with its preprocessor.

No Electric scorer is shipped: at this scale Electric does not learn (it ranks
held-out sentences above a word swap no better than chance).
"""

import os

from keras_electra.errors import ElectraError

DEMO_MODEL_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo_model")
DEMO_ROLES = ("discriminator", "generator")


def demo_preset(role="discriminator"):
    """The directory of a shipped demo preset, for `from_preset`.

    Args:
        role: str. `"discriminator"` or `"generator"`.

    Returns:
        str, a local preset directory.

    Raises:
        ElectraError: an unknown role (an Electric scorer is not shipped), or
            the preset files missing from the installed package.

    Example:
    ```python
    from keras_electra.models import ElectraBackbone
    from keras_electra.models.demo_presets import demo_preset

    backbone = ElectraBackbone.from_preset(demo_preset("discriminator"))
    ```
    """
    if role not in DEMO_ROLES:
        raise ElectraError(
            f"Unknown demo preset {role!r}; expected one of {DEMO_ROLES}. No Electric "
            "scorer is shipped: Electric does not learn at the demo's scale."
        )
    path = os.path.join(DEMO_MODEL_DIR, role)
    if not os.path.isfile(os.path.join(path, "config.json")):
        raise ElectraError(f"The demo preset {path} is missing from this installation.")
    return path
