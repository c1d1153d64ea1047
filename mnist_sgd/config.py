"""Validate the workflow configuration against its JSON schema, fill in defaults.

Errors name the offending key as a dotted path (``grid.batch_sizes[0]``), the bad value,
and what is allowed, so a user can fix config.yaml without reading the schema.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from mnist_sgd import layout

SCHEMA_PATH = Path(__file__).resolve().parents[1] / layout.CONFIG_SCHEMA


class ConfigError(ValueError):
    """A configuration value that the workflow cannot run with."""


def load_schema(path: Path = SCHEMA_PATH) -> dict:
    """The config schema as a dict."""
    with open(path) as fh:
        return yaml.safe_load(fh)


def _key_path(parts: list[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _resolve(schema: dict, root: dict) -> dict:
    ref = schema.get("$ref")
    if ref and ref.startswith("#/"):
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def fill_defaults(config: dict, schema: dict, root: dict | None = None) -> dict:
    """Return a copy of ``config`` with every missing object property set to its schema default."""
    root = schema if root is None else root
    out = copy.deepcopy(config)
    for key, sub in schema.get("properties", {}).items():
        sub = _resolve(sub, root)
        if key not in out and "default" in sub:
            out[key] = copy.deepcopy(sub["default"])
        if isinstance(out.get(key), dict) and sub.get("type") == "object":
            out[key] = fill_defaults(out[key], sub, root)
    return out


def coerce_strings(config: Any, schema: dict, root: dict | None = None) -> Any:
    """Parse YAML scalars given as strings where the schema wants a number or boolean.

    ``snakemake --config 'training={"epochs": 5}'`` delivers nested values as strings ("5").
    """
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if isinstance(config, dict):
        props = schema.get("properties", {})
        return {k: coerce_strings(v, props[k], root) if k in props else v for k, v in config.items()}
    if isinstance(config, list) and isinstance(schema.get("items"), dict):
        return [coerce_strings(v, schema["items"], root) for v in config]
    types = schema.get("type")
    types = set(types if isinstance(types, list) else [types])
    if isinstance(config, str) and types & {"number", "integer", "boolean", "null"}:
        try:
            value = yaml.safe_load(config)
        except yaml.YAMLError:
            return config
        if isinstance(value, (int, float, bool)) or value is None:
            return value
        if "number" in types:  # YAML 1.1 reads 1e-3 (no dot) as a string
            try:
                return float(config)
            except ValueError:
                return config
    return config


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _bounds(schema: dict) -> str:
    lo, hi = schema.get("minimum"), schema.get("maximum")
    if lo is not None and hi is not None:
        return f"from {lo} to {hi}"
    parts = []
    if lo is not None:
        parts.append(f">= {lo}")
    if schema.get("exclusiveMinimum") is not None:
        parts.append(f"> {schema['exclusiveMinimum']}")
    if hi is not None:
        parts.append(f"<= {hi}")
    if schema.get("exclusiveMaximum") is not None:
        parts.append(f"< {schema['exclusiveMaximum']}")
    return " and ".join(parts)


def allowed(schema: dict, root: dict) -> str:
    """What a (sub)schema accepts, in words: "an integer >= 1", "one of: tensorflow, pytorch"."""
    schema = _resolve(schema, root)
    if "enum" in schema:
        return "one of: " + ", ".join(map(str, schema["enum"]))
    types = schema.get("type", [])
    types = types if isinstance(types, list) else [types]
    if types == ["array"]:
        text = "a " + ("non-empty " if schema.get("minItems") else "") + "list"
        text += " of unique values" if schema.get("uniqueItems") else ""
        if isinstance(schema.get("items"), dict):
            text += ", each " + allowed(schema["items"], root)
        return text
    if types == ["object"] and schema.get("properties"):
        return "a mapping with keys " + ", ".join(schema["properties"])
    text = " or ".join(_TYPE_NAMES.get(t, t) for t in types)
    if schema.get("minLength"):
        text = text.replace("a string", "a non-empty string")
    bounds = _bounds(schema)
    return f"{text} {bounds}" if bounds else text


def _describe(error: jsonschema.ValidationError, schema: dict) -> str:
    where = _key_path(list(error.absolute_path))
    value = error.instance
    if error.validator == "additionalProperties":
        allowed_keys = sorted(_resolve(error.schema, schema).get("properties", {}))
        unknown = [k for k in value if k not in allowed_keys]
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, allowed_keys, n=1)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        prefix = f"{where}." if list(error.absolute_path) else ""
        return (
            f"unknown key {', '.join(prefix + h for h in hints)}; "
            f"allowed keys{' in ' + where if prefix else ''}: {', '.join(allowed_keys)}"
        )
    what = allowed(error.schema, schema)
    if error.validator == "type" and isinstance(value, bool):
        return f"{where} = {value!r}: must be {what}, not true/false"
    if error.validator in ("type", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength"):
        return f"{where} = {value!r}: must be {what}"
    if error.validator == "enum":
        close = difflib.get_close_matches(str(value), [str(v) for v in error.validator_value], n=1)
        return f"{where} = {value!r}: must be {what}" + (f" (did you mean '{close[0]}'?)" if close else "")
    if error.validator == "uniqueItems":
        seen, duplicates = [], []
        for v in value:
            if v in seen and v not in duplicates:
                duplicates.append(v)
            seen.append(v)
        return f"{where} = {value!r}: values must be unique (duplicate: {', '.join(map(repr, duplicates))})"
    if error.validator == "minItems":
        return f"{where} = {value!r}: must not be empty; allowed: {what}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in value]
        return (
            f"{where} = {value!r}: missing key {', '.join(map(repr, missing))}; "
            f"required keys: {', '.join(error.validator_value)}"
        )
    return f"{where} = {value!r}: {error.message}; allowed: {what}"


def semantic_errors(config: dict) -> list[str]:
    """Checks that need more than one key (run after the schema check and defaults)."""
    errors = []
    data, grid, frameworks = config["data"], config["grid"], config["frameworks"]
    n_train = data["n_train"]
    if n_train + data["n_val"] > 60000:
        errors.append(
            f"data.n_train + data.n_val = {n_train} + {data['n_val']}: exceeds the 60000 MNIST "
            "training images; must be <= 60000 (lower one of them)"
        )
    for i, n in enumerate(grid["subset_sizes"]):
        if n > n_train:
            errors.append(
                f"grid.subset_sizes[{i}] = {n}: larger than the training set (data.n_train = {n_train}); "
                f"a subset is drawn without replacement, so N' must be <= {n_train}"
            )
    for i, b in enumerate(grid["batch_sizes"]):
        if b > n_train:
            errors.append(
                f"grid.batch_sizes[{i}] = {b}: larger than the training set (data.n_train = {n_train}); "
                f"must be <= {n_train}"
            )
    if grid["subset_sizes"] and grid["subset_batch_size"] > min(grid["subset_sizes"]):
        errors.append(
            f"grid.subset_batch_size = {grid['subset_batch_size']}: larger than the smallest subset "
            f"(grid.subset_sizes contains {min(grid['subset_sizes'])}); must be <= {min(grid['subset_sizes'])}"
        )
    elif frameworks["backends"] and grid["subset_batch_size"] > n_train:
        # the frameworks' comparison point is B = subset_batch_size on the full training set
        errors.append(
            f"grid.subset_batch_size = {grid['subset_batch_size']}: larger than the training set "
            f"(data.n_train = {n_train}) the frameworks are compared on; must be <= {n_train}"
        )
    if not grid["batch_sizes"] and not grid["subset_sizes"]:
        errors.append(
            "grid.batch_sizes = [] and grid.subset_sizes = []: nothing to train; at least one of them must list a value"
        )
    return errors


def _strict_integer(checker: Any, instance: Any) -> bool:
    # JSON schema counts 10.0 as an integer; a batch size of 10.0 would make paths like b10.0
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


def validate_config(config: dict, schema_path: Path = SCHEMA_PATH) -> dict:
    """Validate ``config``; return it with defaults filled in.

    Raises:
        ConfigError: listing every problem found, each naming its key.
    """
    schema = load_schema(schema_path)
    config = fill_defaults(coerce_strings(config or {}, schema), schema)
    validator = _Validator(schema)
    problems = [
        _describe(e, schema) for e in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    ]
    if not problems:
        problems = semantic_errors(config)
    if problems:
        raise ConfigError(
            "invalid configuration (see comments in config.yaml and workflow/schemas/config.schema.yaml):\n  - "
            + "\n  - ".join(problems)
        )
    return config
