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

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"


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
    return config


def _describe(error: jsonschema.ValidationError, schema: dict) -> str:
    where = _key_path(list(error.absolute_path))
    if error.validator == "additionalProperties":
        allowed = sorted(_resolve(error.schema, schema).get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        hints = []
        for k in unknown:
            close = difflib.get_close_matches(k, allowed, n=1)
            hints.append(f"'{k}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        prefix = f"{where}." if list(error.absolute_path) else ""
        return (f"unknown key {', '.join(prefix + h for h in hints)}; "
                f"allowed keys{' in ' + where if prefix else ''}: {', '.join(allowed)}")
    return f"{where} = {error.instance!r}: {error.message}"


def semantic_errors(config: dict) -> list[str]:
    """Checks that need more than one key (run after the schema check and defaults)."""
    errors = []
    data, grid = config["data"], config["grid"]
    if data["n_train"] + data["n_val"] > 60000:
        errors.append(
            f"data.n_train + data.n_val = {data['n_train']} + {data['n_val']} exceeds the 60000 MNIST "
            "training images; lower one of them"
        )
    for i, n in enumerate(grid["subset_sizes"]):
        if n > data["n_train"]:
            errors.append(
                f"grid.subset_sizes[{i}] = {n} is larger than the training set (data.n_train = "
                f"{data['n_train']}); a subset is drawn without replacement, so N' must be <= n_train"
            )
    for i, b in enumerate(grid["batch_sizes"]):
        if b > data["n_train"]:
            errors.append(f"grid.batch_sizes[{i}] = {b} is larger than the training set (data.n_train = {data['n_train']})")
    if grid["subset_sizes"] and grid["subset_batch_size"] > min(grid["subset_sizes"]):
        errors.append(
            f"grid.subset_batch_size = {grid['subset_batch_size']} is larger than the smallest subset "
            f"(grid.subset_sizes contains {min(grid['subset_sizes'])})"
        )
    if not grid["batch_sizes"] and not grid["subset_sizes"]:
        errors.append("grid.batch_sizes and grid.subset_sizes are both empty: nothing to train")
    return errors


def validate_config(config: dict, schema_path: Path = SCHEMA_PATH) -> dict:
    """Validate ``config``; return it with defaults filled in.

    Raises:
        ConfigError: listing every problem found, each naming its key.
    """
    schema = load_schema(schema_path)
    config = fill_defaults(coerce_strings(config or {}, schema), schema)
    validator = jsonschema.Draft202012Validator(schema)
    problems = [_describe(e, schema) for e in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))]
    if not problems:
        problems = semantic_errors(config)
    if problems:
        raise ConfigError(
            "invalid configuration (see comments in config.yaml and workflow/schemas/config.schema.yaml):\n  - "
            + "\n  - ".join(problems)
        )
    return config
