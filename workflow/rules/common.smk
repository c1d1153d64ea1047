# Config validation, the experiment grid and the input functions shared by every rule.
import json
import sys

sys.path.insert(0, workflow.basedir)  # the repository's mnist_sgd package

from mnist_sgd import grid
from mnist_sgd.config import ConfigError, validate_config
from mnist_sgd.download import MNIST_SHA256

try:
    config.update(validate_config(config))
except ConfigError as err:
    raise WorkflowError(str(err)) from None


MNIST_FILES = sorted(MNIST_SHA256)


wildcard_constraints:
    backend="numpy|tensorflow|pytorch",
    batch="[1-9][0-9]*",
    n="[1-9][0-9]*",
    lr="[0-9]+(\.[0-9]+)?|chosen",
    seed="[0-9]+",


def all_targets(wildcards):
    """Everything `snakemake` builds by default."""
    return [
        "results/report/report.html",
        "results/report/report.pdf",
        *floor_files(),
        *lr_choice_files(),
        *all_run_summaries(wildcards),
        *consistency_files(wildcards),
    ]


# ---- code versions -----------------------------------------------------------------


def code_digest(*patterns):
    """SHA-256 of the package modules a rule's numbers depend on (globs under mnist_sgd/).

    Given as a `params:` value, so that Snakemake's params trigger reruns a job when that
    code changes, and not when a file is merely touched.
    """
    import glob
    import hashlib

    digest = hashlib.sha256()
    for pattern in patterns:
        for path in sorted(glob.glob(f"{workflow.basedir}/mnist_sgd/{pattern}")):
            digest.update(open(path, "rb").read())
    return digest.hexdigest()[:16]


TRAINING_CODE = code_digest("sgd.py", "training.py", "minibatches.py", "run.py", "dataset.py", "backends/*.py")


# ---- paths -------------------------------------------------------------------------

RUN = grid.run_path("{backend}", "{batch}", "{n}", "{lr}", "{seed}")  # wildcard pattern
RUN_DIR = f"results/runs/{RUN}"
DATA = "results/data/manifest.json"


def run_dir(run):
    """Output folder of a grid.Run."""
    return f"results/runs/{run.path}"


def subset_file(wildcards):
    return f"results/subsets/n{wildcards.n}_seed{wildcards.seed}.npy"


# ---- input functions ---------------------------------------------------------------


def point_summaries(wildcards):
    """Summaries of every lr and seed of one (backend, B, N') point, for choose_lr."""
    return [
        f"results/runs/{grid.run_path(wildcards.backend, wildcards.batch, wildcards.n, grid.format_lr(lr), seed)}/summary.json"
        for lr in config["grid"]["learning_rates"]
        for seed in config["training"]["seeds"]
    ]


def framework_runs():
    """Framework runs; with frameworks.learning_rates: chosen their lr path is "chosen",
    resolved at run time from NumPy's lr choice at the same point."""
    return grid.framework_runs(config)


def lr_choice_of(backend, batch, n):
    return f"results/lr_choice/{backend}/b{batch}_n{n}.json"


def train_priority(wildcards):
    """Scheduling order of training jobs (higher first): NumPy at the comparison point, so
    that its lr choice and the framework runs that wait on it start early, then the
    framework runs, then the long B = 1 runs; short jobs fill the gaps."""
    point = grid.Point(int(wildcards.batch), int(wildcards.n))
    if wildcards.backend == grid.NUMPY and point == grid.comparison_point(config):
        return 3
    if wildcards.backend != grid.NUMPY:
        return 2
    return 1 if point.batch_size == 1 else 0


def train_inputs(wildcards):
    """Cached data, the training subset, and NumPy's lr choice for an lr of "chosen"."""
    inputs = {"manifest": DATA, "subset": subset_file(wildcards)}
    if wildcards.lr == grid.CHOSEN:
        inputs["lr_choice"] = lr_choice_of(grid.NUMPY, wildcards.batch, wildcards.n)
    return inputs


def reference_inputs(wildcards):
    """The NumPy run(s) a framework run is compared with: the same key, or for an lr of
    "chosen" every NumPy lr of that point plus the choice (picked at run time)."""
    lrs = (
        [grid.format_lr(lr) for lr in config["grid"]["learning_rates"]]
        if wildcards.lr == grid.CHOSEN
        else [wildcards.lr]
    )
    dirs = [f"results/runs/{grid.run_path(grid.NUMPY, wildcards.batch, wildcards.n, lr, wildcards.seed)}" for lr in lrs]
    inputs = {
        "ref_histories": [f"{d}/history.csv" for d in dirs],
        "ref_weights": [f"{d}/weights.npz" for d in dirs],
        "ref_summaries": [f"{d}/summary.json" for d in dirs],
    }
    if wildcards.lr == grid.CHOSEN:
        inputs["lr_choice"] = lr_choice_of(grid.NUMPY, wildcards.batch, wildcards.n)
    return inputs


def lr_choice_files():
    """One lr choice per (backend, point) that trains the whole lr grid."""
    files = [f"results/lr_choice/numpy/b{p.batch_size}_n{p.n_train}.json" for p in grid.all_points(config)]
    if config["frameworks"]["learning_rates"] == "all":
        files += [
            f"results/lr_choice/{b}/b{p.batch_size}_n{p.n_train}.json"
            for b in config["frameworks"]["backends"]
            for p in grid.framework_points(config)
        ]
    return files


def all_run_summaries(wildcards=None):
    """Every run's summary, NumPy grid and framework runs."""
    runs = grid.numpy_runs(config) + framework_runs()
    return [f"{run_dir(r)}/summary.json" for r in runs]


def consistency_files(wildcards=None):
    """One comparison per framework run (against the NumPy run with the same key)."""
    return [f"results/consistency/{r.path}.json" for r in framework_runs()]


def floor_files():
    return [f"results/floor/n{n}_seed{s}.json" for n, s in grid.subset_keys(config)]
