"""Config validation: defaults, and bad configs rejected with a message naming the key."""

import copy
import subprocess
import sys

import pytest
import yaml

from mnist_sgd import grid, layout
from mnist_sgd.config import ConfigError, validate_config


@pytest.fixture(scope="module")
def default_config(repo_root):
    return yaml.safe_load((repo_root / "config.yaml").read_text())


def test_default_config_is_valid_and_derives_the_assignment_grid(default_config):
    config = validate_config(default_config)
    points = grid.all_points(config)
    assert [(p.batch_size, p.n_train) for p in grid.batch_points(config)] == [(1, 50000), (10, 50000), (100, 50000), (1000, 50000)]
    assert {(p.batch_size, p.n_train) for p in grid.subset_points(config)} == {(100, 100), (100, 500), (100, 1000), (100, 10000)}
    assert len(points) == 8  # (100, 50000) is shared by both sweeps and trained once
    runs = grid.numpy_runs(config)
    assert len(runs) == len(set(runs)) == 8 * len(config["grid"]["learning_rates"])
    assert 0.5 in config["grid"]["learning_rates"]
    assert [layout.run_key(**r.fields) for r in grid.framework_runs(config)] == ["tensorflow/b100/n50000/lrchosen/seed0", "pytorch/b100/n50000/lrchosen/seed0"]


def test_empty_config_gets_the_defaults(default_config):
    assert validate_config({}) == validate_config(default_config) | {"data": validate_config({})["data"]}
    assert validate_config({})["training"]["epochs"] == 100


BAD = [
    ({"grid": {"batch_sizes": [0, 10]}}, "grid.batch_sizes[0] = 0"),
    ({"grid": {"learning_rates": [-0.1]}}, "grid.learning_rates[0] = -0.1"),
    ({"grid": {"subset_sizes": [100, 60000]}}, "grid.subset_sizes[1] = 60000 is larger than the training set"),
    ({"frameworks": {"backends": ["jax"]}}, "frameworks.backends[0] = 'jax'"),
    ({"training": {"epoch": 5}}, "unknown key training.'epoch' (did you mean 'epochs'?)"),
    ({"trainig": {}}, "unknown key 'trainig' (did you mean 'training'?)"),
    ({"training": {"dtype": "float16"}}, "training.dtype = 'float16'"),
    ({"training": {"epochs": 0}}, "training.epochs = 0"),
    ({"training": {"seeds": []}}, "training.seeds = []"),
    ({"data": {"n_train": 55000}}, "data.n_train + data.n_val = 55000 + 10000 exceeds"),
    ({"grid": {"batch_sizes": "100"}}, "grid.batch_sizes = '100': '100' is not of type 'array'"),
    ({"consistency": {"float64": {"loss_rtol": 1e-8}}}, "consistency.float64 = {'loss_rtol': 1e-08}: 'weights_atol' is a required property"),
    ({"frameworks": {"points": "some"}}, "frameworks.points = 'some'"),
]


@pytest.mark.parametrize("override, expected", BAD, ids=[b[1].split(" ")[0] for b in BAD])
def test_bad_config_is_rejected_naming_the_key(default_config, override, expected):
    config = copy.deepcopy(default_config)
    for section, values in override.items():
        if isinstance(config.get(section), dict) and isinstance(values, dict) and values:
            config[section].update(values)
        else:
            config[section] = values
    with pytest.raises(ConfigError) as err:
        validate_config(config)
    assert expected in str(err.value)


def snakemake(repo_root, *args, cwd=None):
    return subprocess.run([sys.executable, "-m", "snakemake", "--snakefile", str(repo_root / "Snakefile"), *args],
                          cwd=cwd or repo_root, capture_output=True, text=True, timeout=300)


def test_dry_run_plans_the_whole_grid(repo_root, tmp_path):
    result = snakemake(repo_root, "-n", "--cores", "2", "--directory", str(tmp_path),
                       "--configfile", str(repo_root / "config.yaml"))
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    counts = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    # 8 points x 6 lrs (NumPy) + TensorFlow and PyTorch at the comparison point
    assert counts["train"] == 8 * 6 + 2
    assert counts["choose_lr"] == 8
    assert counts["least_squares_floor"] == 5  # N' = 100, 500, 1000, 10000 and the full set
    assert counts["compare_backends"] == 2
    for path in ["numpy/b1/n50000/lr0.001/seed0", "numpy/b100/n100/lr0.5/seed0", "pytorch/b100/n50000/lrchosen/seed0"]:
        assert f"results/runs/{path}/summary.json" in out


def test_snakemake_reports_a_bad_config_by_key(repo_root, tmp_path):
    result = snakemake(repo_root, "-n", "--cores", "1", "--directory", str(tmp_path),
                       "--configfile", str(repo_root / "config.yaml"), "--config", "grid={'batch_sizes': [0]}")
    assert result.returncode != 0
    assert "grid.batch_sizes[0] = 0" in result.stdout + result.stderr


def test_command_line_strings_become_numbers():
    # snakemake --config 'training={"epochs": 5}' delivers "5"
    config = validate_config({"training": {"epochs": "5", "bias": "true"}, "grid": {"learning_rates": ["0.01"]}})
    assert config["training"]["epochs"] == 5 and config["training"]["bias"] is True
    assert config["grid"]["learning_rates"] == [0.01]
    with pytest.raises(ConfigError, match="training.epochs = 'five'"):
        validate_config({"training": {"epochs": "five"}})
