"""Reading the JSON objects of checkpoint directories (configs, tokenizer settings)."""

import json

from keras_electra.utils.safetensors_io import CheckpointFileError
from keras_electra.convert.weights import ConversionError


def read_json_object(path):
    """Reads `path`, which must hold one JSON object, into a dict.

    Raises:
        CheckpointFileError: when the file is not valid JSON (or not UTF-8).
        ConversionError: when it holds JSON other than an object.

    Example:
    ```python
    config = read_json_object("./electra-small-discriminator/config.json")
    config["hidden_size"]
    ```
    """
    try:
        with open(path, encoding="utf-8") as f:
            value = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:
        raise CheckpointFileError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ConversionError(
            f"{path} must hold a JSON object; found {type(value).__name__}."
        )
    return value
