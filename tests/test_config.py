"""Config validation: defaults, and bad configs rejected with a message naming the key."""

import copy
import os
import subprocess
import sys

import pytest
import yaml

from conftest import local_mnist_mirror
from mnist_sgd import grid, layout
from mnist_sgd.config import ConfigError, validate_config


@pytest.fixture(scope="module")
def default_config(repo_root):
    return yaml.safe_load((repo_root / "config.yaml").read_text())


def test_default_config_is_valid_and_derives_the_assignment_grid(default_config):
    config = validate_config(default_config)
    points = grid.all_points(config)
    assert [(p.batch_size, p.n_train) for p in grid.batch_points(config)] == [
        (1, 50000),
        (10, 50000),
        (100, 50000),
        (1000, 50000),
    ]
    assert {(p.batch_size, p.n_train) for p in grid.subset_points(config)} == {
        (100, 100),
        (100, 500),
        (100, 1000),
        (100, 10000),
    }
    assert len(points) == 8  # (100, 50000) is shared by both sweeps and trained once
    runs = grid.numpy_runs(config)
    assert len(runs) == len(set(runs)) == 8 * len(config["grid"]["learning_rates"])
    assert 0.5 in config["grid"]["learning_rates"]
    assert [layout.run_key(**r.fields) for r in grid.framework_runs(config)] == [
        "tensorflow/b100/n50000/lrchosen/seed0",
        "pytorch/b100/n50000/lrchosen/seed0",
    ]


def test_empty_config_gets_the_defaults(default_config):
    assert validate_config({}) == validate_config(default_config) | {"data": validate_config({})["data"]}
    assert validate_config({})["training"]["epochs"] == 100


# (override merged into config.yaml, key as the message names it, what the message says is allowed)
BAD = [
    # out of range
    ({"grid": {"batch_sizes": [0, 10]}}, "grid.batch_sizes[0] = 0", "must be an integer >= 1"),
    ({"grid": {"learning_rates": [-0.1]}}, "grid.learning_rates[0] = -0.1", "must be a number > 0"),
    ({"training": {"epochs": 0}}, "training.epochs = 0", "must be an integer from 1 to 100000"),
    ({"training": {"seeds": [0, -1]}}, "training.seeds[1] = -1", "must be an integer >= 0"),
    ({"data": {"timeout_seconds": 0}}, "data.timeout_seconds = 0", "must be a number > 0"),
    (
        {"consistency": {"float32": {"loss_rtol": 0, "weights_atol": 1e-3, "accuracy_atol": 2e-3}}},
        "consistency.float32.loss_rtol = 0",
        "must be a number > 0",
    ),
    (
        {"consistency": {"float64": {"loss_rtol": 1e-8, "weights_atol": -1e-8, "accuracy_atol": 1e-4}}},
        "consistency.float64.weights_atol = -1e-08",
        "must be a number > 0",
    ),
    (
        {"consistency": {"float32": {"loss_rtol": 1e-3, "weights_atol": 1e-3, "accuracy_atol": 0}}},
        "consistency.float32.accuracy_atol = 0",
        "must be a number > 0 and <= 1",
    ),
    # not in the allowed set
    ({"frameworks": {"backends": ["jax"]}}, "frameworks.backends[0] = 'jax'", "must be one of: tensorflow, pytorch"),
    ({"training": {"dtype": "float16"}}, "training.dtype = 'float16'", "must be one of: float32, float64"),
    ({"frameworks": {"points": "some"}}, "frameworks.points = 'some'", "must be one of: comparison, all"),
    # wrong types
    ({"training": {"epochs": "five"}}, "training.epochs = 'five'", "must be an integer from 1 to 100000"),
    ({"grid": {"batch_sizes": [10.5]}}, "grid.batch_sizes[0] = 10.5", "must be an integer >= 1"),
    ({"grid": {"batch_sizes": [10.0]}}, "grid.batch_sizes[0] = 10.0", "must be an integer >= 1"),  # would be path b10.0
    ({"training": {"epochs": True}}, "training.epochs = True", "must be an integer from 1 to 100000, not true/false"),
    ({"training": {"bias": 1}}, "training.bias = 1", "must be true or false"),
    (
        {"grid": {"batch_sizes": "100"}},
        "grid.batch_sizes = '100'",
        "must be a list of unique values, each an integer >= 1",
    ),
    (
        {"training": None},
        "training = None",
        "must be a mapping with keys epochs, dtype, bias, divergence_factor, seeds",
    ),
    ({"report": {"title": ""}}, "report.title = ''", "must be a non-empty string"),
    # unknown, misspelt or missing keys
    (
        {"trainig": {}},
        "unknown key 'trainig' (did you mean 'training'?)",
        "allowed keys: consistency, data, frameworks, grid, lr_search, report, timing, training",
    ),
    (
        {"training": {"epoch": 5}},
        "unknown key training.'epoch' (did you mean 'epochs'?)",
        "allowed keys in training: bias, divergence_factor, dtype, epochs, seeds",
    ),
    (
        {"grid": {"batch_size": [1]}},
        "unknown key grid.'batch_size' (did you mean 'batch_sizes'?)",
        "allowed keys in grid: batch_sizes, learning_rates, subset_batch_size, subset_sizes",
    ),
    (
        {"consistency": {"float64": {"loss_rtol": 1e-8}}},
        "consistency.float64 = {'loss_rtol': 1e-08}: missing key 'weights_atol', 'accuracy_atol'",
        "required keys: loss_rtol, weights_atol, accuracy_atol",
    ),
    # empty lists
    ({"training": {"seeds": []}}, "training.seeds = []: must not be empty", "each an integer >= 0"),
    ({"grid": {"learning_rates": []}}, "grid.learning_rates = []: must not be empty", "each a number > 0"),
    (
        {"grid": {"batch_sizes": [], "subset_sizes": []}},
        "grid.batch_sizes = [] and grid.subset_sizes = []",
        "at least one of them must list a value",
    ),
    # duplicates
    (
        {"grid": {"batch_sizes": [10, 100, 10]}},
        "grid.batch_sizes = [10, 100, 10]",
        "values must be unique (duplicate: 10)",
    ),
    (
        {"grid": {"learning_rates": [0.01, 0.03, 0.01]}},
        "grid.learning_rates = [0.01, 0.03, 0.01]",
        "values must be unique (duplicate: 0.01)",
    ),
    ({"training": {"seeds": [0, 1, 0]}}, "training.seeds = [0, 1, 0]", "values must be unique (duplicate: 0)"),
    (
        {"grid": {"subset_sizes": [500, 500]}},
        "grid.subset_sizes = [500, 500]",
        "values must be unique (duplicate: 500)",
    ),
    (
        {"frameworks": {"backends": ["pytorch", "pytorch"]}},
        "frameworks.backends = ['pytorch', 'pytorch']",
        "values must be unique (duplicate: 'pytorch')",
    ),
    # sizes that do not fit together
    (
        {"grid": {"batch_sizes": [100, 50001]}},
        "grid.batch_sizes[1] = 50001: larger than the training set (data.n_train = 50000)",
        "must be <= 50000",
    ),
    (
        {"grid": {"subset_batch_size": 200}},
        "grid.subset_batch_size = 200: larger than the smallest subset",
        "must be <= 100",
    ),
    (
        {"grid": {"subset_sizes": [], "subset_batch_size": 50001}},
        "grid.subset_batch_size = 50001: larger than the training set (data.n_train = 50000)",
        "must be <= 50000",
    ),
    (
        {"grid": {"subset_sizes": [100, 50001]}},
        "grid.subset_sizes[1] = 50001: larger than the training set",
        "N' must be <= 50000",
    ),
    ({"data": {"n_train": 55000}}, "data.n_train + data.n_val = 55000 + 10000", "must be <= 60000"),
]


def with_override(config, override):
    config = copy.deepcopy(config)
    for section, values in override.items():
        if isinstance(config.get(section), dict) and isinstance(values, dict) and values:
            config[section].update(values)
        else:
            config[section] = values
    return config


def assert_names_key_and_allowed(message, key, allowed):
    """One line of the message names the key and says what is allowed."""
    assert any(key in line and allowed in line for line in message.splitlines()), (key, allowed, message)


@pytest.mark.parametrize("override, key, allowed", BAD, ids=[b[1].split(" ")[0] for b in BAD])
def test_bad_config_is_rejected_naming_the_key(default_config, override, key, allowed):
    with pytest.raises(ConfigError) as err:
        validate_config(with_override(default_config, override))
    assert_names_key_and_allowed(str(err.value), key, allowed)


# `snakemake --config KEY=VALUE`, as Snakemake itself parses and merges it (nested values arrive as strings)
BAD_COMMAND_LINE = [
    ('training={"epochs": 0}', "training.epochs = 0", "must be an integer from 1 to 100000"),
    ('training={"epochs": five}', "training.epochs = 'five'", "must be an integer from 1 to 100000"),
    ('training={"epochs": true}', "training.epochs = True", "not true/false"),
    ('training={"seeds": [0, -1]}', "training.seeds[1] = -1", "must be an integer >= 0"),
    ('training={"seeds": [3, 3]}', "training.seeds = [3, 3]", "values must be unique (duplicate: 3)"),
    ('grid={"batch_sizes": [10, 10]}', "grid.batch_sizes = [10, 10]", "values must be unique (duplicate: 10)"),
    ('grid={"batch_sizes": [10.5]}', "grid.batch_sizes[0] = 10.5", "must be an integer >= 1"),
    ('grid={"batch_sizes": [60000]}', "grid.batch_sizes[0] = 60000: larger than the training set", "must be <= 50000"),
    ('grid={"learning_rates": []}', "grid.learning_rates = []: must not be empty", "each a number > 0"),
    (
        'grid={"learning_rates": [0.1, 0.1]}',
        "grid.learning_rates = [0.1, 0.1]",
        "values must be unique (duplicate: 0.1)",
    ),
    ('frameworks={"backends": [jax]}', "frameworks.backends[0] = 'jax'", "must be one of: tensorflow, pytorch"),
    ('consistency={"float32": {"loss_rtol": 0}}', "consistency.float32.loss_rtol = 0", "must be a number > 0"),
    ('report={"title": ""}', "report.title = ''", "must be a non-empty string"),
    ('trainig={"epochs": 5}', "unknown key 'trainig' (did you mean 'training'?)", "allowed keys: consistency, data"),
    (
        'grid={"learning_rate": [0.1]}',
        "unknown key grid.'learning_rate' (did you mean 'learning_rates'?)",
        "allowed keys in grid:",
    ),
    ("epochs=5", "unknown key 'epochs'", "allowed keys: consistency, data"),
]


@pytest.mark.parametrize("entry, key, allowed", BAD_COMMAND_LINE, ids=[b[0] for b in BAD_COMMAND_LINE])
def test_bad_command_line_override_is_rejected_naming_the_key(default_config, entry, key, allowed):
    from snakemake.cli import parse_config
    from snakemake.utils import update_config

    config = copy.deepcopy(default_config)
    update_config(config, parse_config([entry]))
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    assert_names_key_and_allowed(str(err.value), key, allowed)


def snakemake(repo_root, *args, cwd=None, timeout=300):
    mirror = local_mnist_mirror()
    env = os.environ | ({"MNIST_MIRROR": mirror} if mirror else {})
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(repo_root / "Snakefile"), *args],
        cwd=cwd or repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.process
def test_dry_run_plans_the_whole_grid(repo_root, tmp_path):
    result = snakemake(
        repo_root, "-n", "--cores", "2", "--directory", str(tmp_path), "--configfile", str(repo_root / "config.yaml")
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    # round 0 of the lr search: one job per point for its 7 lrs (NumPy; rule train_grid) + one
    # each for TensorFlow, PyTorch, Keras model.fit and the PyTorch DataLoader loop at the
    # comparison point; the runs of later rounds are planned once round 0 has run (checkpoint
    # lr_search_round), but every point has its max_rounds + 1 rounds (a round after the search
    # ended repeats it)
    rounds = yaml.safe_load((repo_root / "config.yaml").read_text())["lr_search"]["max_rounds"] + 1
    assert counts["train_grid"] == 8 and counts["train"] == 4
    assert counts["lr_search_round"] == 8 * rounds and counts["choose_lr"] == 8
    assert "checkpoint jobs, which will result in alteration of the DAG" in out
    # one job per N' = 100, 500, 1000, 10000 and the full set, for every seed's draw; the other
    # seeds' runs at the chosen lr (rule train_seeds) are planned once the search has chosen
    seeds = yaml.safe_load((repo_root / "config.yaml").read_text())["training"]["seeds"]
    assert counts["least_squares_floor"] == 5 and counts["draw_subset"] == 5 * len(seeds) == 15
    assert "train_seeds" not in counts
    assert counts["compare_backends"] == 2
    for path in [
        "numpy/b1/n50000/lr0.001/seed0",
        "numpy/b100/n100/lr0.5/seed0",
        "pytorch/b100/n50000/lrchosen/seed0",
        "keras_fit/b100/n50000/lrchosen/seed0",
    ]:
        assert f"results/runs/{path}/summary.json" in out


TINY = {  # as tests/test_workflow.py: if a bad config were not caught, at most this would run
    "training": {"epochs": 2, "seeds": [0]},
    "grid": {"batch_sizes": [], "subset_sizes": [500], "subset_batch_size": 50, "learning_rates": [0.01]},
    "frameworks": {"backends": []},
}
# (override of the config file, --config entries, key, what is allowed)
BAD_RUNS = [
    ({"training": {"seeds": [0, -1]}}, [], "training.seeds[1] = -1", "must be an integer >= 0"),
    (
        {"frameworks": {"backends": ["jax"]}},
        [],
        "frameworks.backends[0] = 'jax'",
        "must be one of: tensorflow, pytorch",
    ),
    ({"trainig": {"epochs": 2}}, [], "unknown key 'trainig' (did you mean 'training'?)", "allowed keys: consistency"),
    (
        {"grid": {"subset_batch_size": 600}},
        [],
        "grid.subset_batch_size = 600: larger than the smallest subset",
        "must be <= 500",
    ),
    ({}, ['training={"epochs": 0}'], "training.epochs = 0", "must be an integer from 1 to 100000"),
    ({}, ['grid={"batch_sizes": [10, 10]}'], "grid.batch_sizes = [10, 10]", "values must be unique (duplicate: 10)"),
    (
        {},
        ['consistency={"float64": {"accuracy_atol": 0}}'],
        "consistency.float64.accuracy_atol = 0",
        "must be a number > 0 and <= 1",
    ),
]


@pytest.mark.process
@pytest.mark.parametrize("override, entries, key, allowed", BAD_RUNS, ids=[b[2].split(" ")[0] for b in BAD_RUNS])
def test_snakemake_rejects_a_bad_config_before_any_job(repo_root, tmp_path, override, entries, key, allowed):
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(with_override(TINY, override)))
    args = [
        "results/lr_choice/numpy/b50_n500.json",
        "--cores",
        "1",
        "--directory",
        str(tmp_path),
        "--configfile",
        str(tmp_path / "config.yaml"),
    ]
    result = snakemake(repo_root, *args, *(["--config", *entries] if entries else []), timeout=120)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert "invalid configuration" in out
    assert_names_key_and_allowed(out, key, allowed)
    assert "Building DAG of jobs" not in out and "Job " not in out
    assert not (tmp_path / "results").exists() and not (tmp_path / "logs").exists()


def test_command_line_strings_become_numbers():
    # snakemake --config 'training={"epochs": 5}' delivers "5"
    config = validate_config({"training": {"epochs": "5", "bias": "true"}, "grid": {"learning_rates": ["0.01"]}})
    assert config["training"]["epochs"] == 5 and config["training"]["bias"] is True
    assert config["grid"]["learning_rates"] == [0.01]
    # YAML 1.1 reads 1e-3 (no dot) as a string; as a number it is one
    assert validate_config({"grid": {"learning_rates": ["1e-3", 3e-2]}})["grid"]["learning_rates"] == [0.001, 0.03]
    with pytest.raises(ConfigError, match="training.epochs = 'five': must be an integer"):
        validate_config({"training": {"epochs": "five"}})
