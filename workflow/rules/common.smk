# Config validation, the experiment grid and the input functions shared by every rule.
# Every path comes from mnist_sgd/layout.py (imported as `layout`).
import functools
import glob
import json
import sys
from pathlib import Path

from snakemake_interface_executor_plugins.settings import SharedFSUsage

# The package reaches every job without PYTHONPATH (which Snakemake removes in conda jobs):
# scripts/mnist_sgd links to ../mnist_sgd, and Snakemake puts a rule script's own folder on
# the script's sys.path in every kind of job (local, cluster, --sdm conda or apptainer).
# This process imports the package the same way.
sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))

from mnist_sgd import code_deps, grid, layout, slurm_status
from mnist_sgd.config import ConfigError, validate_config
from mnist_sgd.data.download import MNIST_SHA256

try:
    config.update(validate_config(config))
except ConfigError as err:
    raise WorkflowError(str(err)) from None


#: The four MNIST files as named inputs/outputs: train_images_idx3_ubyte, ...
MNIST = {layout.mnist_input(name): layout.mnist_file(name) for name in sorted(MNIST_SHA256)}


# Rules that run on the host Snakemake runs on, also under a cluster executor: the download
# needs the internet (compute nodes often have none), and the others take seconds, less
# than a cluster submission costs (measured on SLURM: docs/performance.md).
localrules:
    download_mnist,
    mnist_sources,
    build_arrays,
    draw_subset,
    lr_search_round,
    choose_lr,
    seed_runs,
    compare_backends,
    aggregate,
    paired_tests,
    figures,
    provenance,
    render_report,
    draft_report,


wildcard_constraints:
    backend="|".join(grid.BACKENDS),
    batch=r"[1-9][0-9]*",
    n=r"[1-9][0-9]*",
    lr=rf"[0-9]+(\.[0-9]+)?|{grid.CHOSEN}",
    seed=r"[0-9]+",
    round=r"[0-9]+",


# Under the SLURM executor, stop before the first submission where the plugin could never see
# a job finish (no accounting and no usable squeue: mnist_sgd/slurm_status.py).
onstart:
    if workflow.executor_plugin is not None and workflow.executor_plugin.name == "slurm":
        settings = workflow.executor_settings
        try:
            slurm_status.check(settings.status_command, settings.init_seconds_before_status_checks)
        except slurm_status.StatusCheckError as err:
            raise WorkflowError(str(err)) from None


# ---- resources that grow on retry ----------------------------------------------------

#: A retry asks for this many times the memory and time of the attempt before: a job killed
#: for its memory or time limit would fail the same way again with the same request.
RETRY_GROWTH = 2


def per_attempt(first):
    """A resource (mem_mb, runtime) of ``first`` on a job's first attempt, RETRY_GROWTH times
    more on each retry (profiles/slurm: `retries: 1`)."""
    return lambda wildcards, attempt: first * RETRY_GROWTH ** (attempt - 1)


# ---- wildcard patterns of the job keys ---------------------------------------------

RUN = layout.run_key("{backend}", "{batch}", "{n}", "{lr}", "{seed}")
GRID_JOB = layout.grid_job_key("{backend}", "{batch}", "{n}", "{seed}")
SUBSET = layout.subset_key("{n}", "{seed}")
POINT = layout.point_key("{backend}", "{batch}", "{n}")


#: The cached arrays as named inputs: train_images, train_labels, val_images, ...
ARRAYS = {layout.array_input(s, k): layout.array(s, k) for s in layout.SPLITS for k in layout.ARRAY_KINDS}

#: Snakemake's time grows with every input file (planning, and preparing and recording a job with
#: thousands of inputs), so two kinds of files a job reads are a parameter, not an input, where
#: the working directory is shared (locally, and on a cluster's shared file system):
#: - the six cached arrays read by rules train and least_squares_floor: the manifest stands for
#:   them (build_arrays writes it last; every job checks each array against the SHA-256 it
#:   records before use). As inputs of every training job of a large grid they made planning
#:   much slower (docs/performance.md);
#: - the training jobs' benchmark files, which rule aggregate reads; each is written with its job's
#:   outputs, which are inputs of aggregate.
#: Without a shared file system a storage plugin stages the inputs of a job: then they are inputs.
INPUTS_STAGED = SharedFSUsage.INPUT_OUTPUT not in workflow.storage_settings.shared_fs_usage


def array_inputs():
    """The arrays as inputs of a job that reads them: only when inputs are staged (see above)."""
    return ARRAYS if INPUTS_STAGED else {}


def run_file(name):
    """Wildcard pattern of one file of a run (rule train)."""
    return layout.run_file(name, "{backend}", "{batch}", "{n}", "{lr}", "{seed}")


def grid_job_files():
    """Wildcard patterns of the files of every run of a grid job (outputs of rule train_grid),
    lr after lr of the configured grid, each lr's layout.RUN_FILES in the order rule train has them."""
    lrs = grid.grid_lr_texts(config)
    return [
        layout.run_file(name, "{backend}", "{batch}", "{n}", lr, "{seed}") for lr in lrs for name in layout.RUN_FILES
    ]


# ---- code versions -----------------------------------------------------------------


@functools.cache
def code_digest(script, extra_modules=(), assets=()):
    """Digest of the code behind a rule's numbers: its script (path relative to the repository),
    every package module the script imports, directly or through other modules (found from the
    imports: mnist_sgd/code_deps.py), ``extra_modules`` it imports by a computed name, and the
    files matching the ``assets`` globs it reads (templates, stylesheet, captions; ``**`` matches
    any depth of folders).

    Given as a `params:` value, so that Snakemake's params trigger reruns a job when that
    code changes, and not when a file is merely touched or another module changes.
    """
    root = Path(workflow.basedir)
    files = code_deps.code_files(root, script, extra_modules)
    files += [
        Path(f) for pattern in assets for f in glob.glob(str(root / pattern), recursive=True) if Path(f).is_file()
    ]
    return code_deps.digest(root, files)


def training_code(wildcards):
    """Digest of the code behind a training run's numbers: scripts/train.py with what it imports,
    and its own backend, which mnist_sgd.train.backends imports by name when the run starts (a
    change in one backend does not rerun the others' runs)."""
    return code_digest("scripts/train.py", (f"mnist_sgd.train.backends.{wildcards.backend}_backend",))


# ---- software environments (snakemake --sdm conda) ---------------------------------


def training_env(wildcards):
    """The conda environment of a training job: NumPy's stage for the numpy backend, the
    frameworks' stage (TensorFlow, PyTorch) for the others (workflow/envs/)."""
    return "../envs/numpy.yaml" if wildcards.backend == grid.NUMPY else "../envs/frameworks.yaml"


# ---- the grid ----------------------------------------------------------------------


def numpy_runs():
    return grid.numpy_runs(config)


def numpy_chosen_runs():
    """NumPy runs of the seeds the lr search leaves out, at each point's chosen lr."""
    return grid.numpy_chosen_runs(config)


def framework_runs():
    """Framework runs; with frameworks.learning_rates: chosen their lr path is "chosen",
    resolved at run time from NumPy's lr choice at the same point."""
    return grid.framework_runs(config)


def idiomatic_runs():
    """Keras model.fit and PyTorch DataLoader runs (own shuffling) at the comparison point."""
    return grid.idiomatic_runs(config)


def run_files(name, runs):
    return [layout.run_file(name, **r.fields) for r in runs]


def lr_round_result(backend, batch, n, r):
    """The result of round r of the lr search at a point (checkpoint lr_search_round)."""
    found = checkpoints.lr_search_round.get(backend=backend, batch=batch, n=n, round=r)
    return json.loads(Path(found.output[0]).read_text())


def searched_lrs(backend, batch, n, rounds=None):
    """The lrs tried at a (backend, B, N') point: the configured grid, then the lrs each round
    of the lr search proposed (read from the checkpoint lr_search_round), for the first
    ``rounds`` rounds or until a round proposes none. Returns (lrs, index of the last round read)."""
    lrs = list(config["grid"]["learning_rates"])
    r = 0
    while rounds is None or r < rounds:
        found = lr_round_result(backend, batch, n, r)
        if not found["next_lrs"]:
            break
        lrs += found["next_lrs"]
        r += 1
    return lrs, r


def searched_runs():
    """Every run after the lr search: each lr-choice point at every lr it tried (on the search's
    seeds), NumPy's chosen lr on the other seeds (where the search chose one), and the
    framework and idiomatic runs that follow NumPy's choice ("chosen")."""
    runs = []
    for backend, p in lr_choice_points():
        lrs, last = searched_lrs(backend, p.batch_size, p.n_train)
        runs += [grid.Run(backend, p.batch_size, p.n_train, lr, s) for lr in lrs for s in grid.search_seeds(config)]
        # the other seeds train the chosen lr: none where every lr diverged
        if backend == grid.NUMPY and lr_round_result(backend, p.batch_size, p.n_train, last)["chosen_lr"] is not None:
            runs += [r for r in numpy_chosen_runs() if r.point == p]
    return runs + [r for r in framework_runs() if r.lr == grid.CHOSEN] + idiomatic_runs()


def lr_choice_points():
    """(backend, point) of every lr choice: NumPy's at every point, a framework's where it
    trains the whole lr grid."""
    pairs = [(grid.NUMPY, p) for p in grid.all_points(config)]
    if config["frameworks"]["learning_rates"] == "all":
        pairs += [(b, p) for b in config["frameworks"]["backends"] for p in grid.framework_points(config)]
    return pairs


def lr_choice_files():
    return [layout.lr_choice(b, p.batch_size, p.n_train) for b, p in lr_choice_points()]


def floor_files():
    return [layout.floor(n, s) for n, s in grid.subset_keys(config)]


def consistency_files():
    """One comparison per framework run (against the NumPy run with the same key)."""
    return [layout.consistency(**r.fields) for r in framework_runs()]


def report_files():
    return [layout.report("html"), layout.report("pdf")]


def all_targets(wildcards):
    """Everything `snakemake` builds by default: the report, and what it is built from that no
    other target already requires (the NumPy runs come with the lr choices, the framework runs
    with their comparisons): listing every run here slows the planning of a large grid
    (docs/performance.md)."""
    return [
        *report_files(),
        *floor_files(),
        *lr_choice_files(),
        *consistency_files(),
        *run_files("summary.json", idiomatic_runs()),
        *seed_runs_files(),
    ]


def seed_runs_files():
    """One file per NumPy point listing its chosen lr's runs on the seeds the lr search left out
    (written by the seed_runs rule; each point's runs join the DAG as soon as its own search has ended,
    not once every point's has)."""
    if not grid.numpy_chosen_runs(config):
        return []
    return [layout.seed_runs(grid.NUMPY, p.batch_size, p.n_train) for p in grid.all_points(config)]


def seed_runs_inputs(wildcards):
    """The point's lr choice, and its chosen lr's runs on the other seeds: none where every lr
    diverged (read from the round that ended the point's search: checkpoint lr_search_round)."""
    _, last = searched_lrs(grid.NUMPY, wildcards.batch, wildcards.n)
    chosen = lr_round_result(grid.NUMPY, wildcards.batch, wildcards.n, last)["chosen_lr"]
    point = grid.Point(int(wildcards.batch), int(wildcards.n))
    runs = [r for r in numpy_chosen_runs() if r.point == point] if chosen is not None else []
    return {
        "choice": layout.lr_choice(grid.NUMPY, wildcards.batch, wildcards.n),
        "summaries": run_files("summary.json", runs),
    }


# ---- input functions ---------------------------------------------------------------


def point_runs(backend, batch, n, lrs, seed=None):
    """The runs at ``lrs`` (and every seed of the lr search, unless given) of one (backend, B, N') point."""
    seeds = grid.search_seeds(config) if seed is None else [int(seed)]
    return [grid.Run(backend, int(batch), int(n), lr, s) for lr in lrs for s in seeds]


def search_round_inputs(wildcards):
    """Round r of the lr search at a point: the runs of every lr tried in rounds 0..r, and the
    previous round's result (which says which lrs round r added). Once a round has proposed no
    further lr the search has ended, and the rounds after it repeat it: their input is the
    previous round only."""
    r = int(wildcards.round)
    lrs, last = searched_lrs(wildcards.backend, wildcards.batch, wildcards.n, rounds=r)
    inputs = {} if r == 0 else {"previous": layout.lr_round(wildcards.backend, wildcards.batch, wildcards.n, r - 1)}
    if last < r:  # round `last` proposed nothing
        return inputs
    runs = point_runs(wildcards.backend, wildcards.batch, wildcards.n, lrs)
    return inputs | {"summaries": run_files("summary.json", runs), "histories": run_files("history.csv", runs)}


def search_rounds(wildcards):
    """Every round of the lr search at a point, 0 to lr_search.max_rounds. A round after the one
    that proposed no further lr tries nothing new and repeats its choice, so a point's round
    files are known before any has run: Snakemake then resolves a finished search in one
    checkpoint pass over the DAG instead of one pass per round (docs/performance.md)."""
    return [
        layout.lr_round(wildcards.backend, wildcards.batch, wildcards.n, r)
        for r in range(config["lr_search"]["max_rounds"] + 1)
    ]


def subset_file(wildcards):
    return layout.subset(wildcards.n, wildcards.seed)


#: Priority of the lr search's bookkeeping jobs (a second each): above every training job, so
#: that a finished round unlocks the next round's runs, and the comparison point's choice the
#: framework runs, at once instead of after every queued training run.
SEARCH_PRIORITY = 10


def train_priority(wildcards):
    """Scheduling order of training jobs (higher first): NumPy at the comparison point, so
    that its lr choice and the framework runs that wait on it start early, then the
    framework runs, then the long B = 1 runs, then every other training job. The jobs
    nothing but the report waits for (the floors, the step timing: priority 0) fill the
    gaps and the end, instead of a point's chain of grid job, search rounds and other seeds."""
    point = grid.Point(int(wildcards.batch), int(wildcards.n))
    if wildcards.backend == grid.NUMPY and point == grid.comparison_point(config):
        return 4
    if wildcards.backend != grid.NUMPY:
        return 3
    return 2 if point.batch_size == 1 else 1


def run_lrs(wildcards):
    """params.lrs of a job of rule train (the lrs as in its paths), its one lr."""
    return [wildcards.lr]


def run_seeds(wildcards):
    """params.seeds of a job of rule train, its one seed."""
    return [int(wildcards.seed)]


def grid_job_seeds(wildcards):
    """params.seeds of a grid job (of rule train_grid), its seed once per lr of the grid."""
    return [int(wildcards.seed)] * len(config["grid"]["learning_rates"])


def train_inputs(wildcards):
    """The cache's manifest (and arrays, see INPUTS_STAGED), the training subset(s), and NumPy's lr
    choice for an lr of "chosen" (rules train and train_grid; a seeds job: seeds_job_inputs)."""
    inputs = {**array_inputs(), "manifest": layout.data_manifest(), "subsets": [subset_file(wildcards)]}
    if getattr(wildcards, "lr", None) == grid.CHOSEN:
        inputs["lr_choice"] = layout.lr_choice(grid.NUMPY, wildcards.batch, wildcards.n)
    return inputs


def seeds_job_inputs(wildcards):
    """The inputs of a seeds job (of rule train_seeds), as train_inputs with every other seed's subset."""
    return {
        **array_inputs(),
        "manifest": layout.data_manifest(),
        "subsets": [layout.subset(wildcards.n, s) for s in grid.other_seeds(config)],
        "lr_choice": layout.lr_choice(grid.NUMPY, wildcards.batch, wildcards.n),
    }


def seeds_job_files():
    """Wildcard patterns of the files of every run of a seeds job (outputs of rule train_seeds),
    seed after seed, each run's layout.RUN_FILES in the order rule train has them."""
    return [
        layout.run_file(name, "{backend}", "{batch}", "{n}", grid.CHOSEN, s)
        for s in grid.other_seeds(config)
        for name in layout.RUN_FILES
    ]


def floor_inputs(wildcards):
    """The inputs of a floor job (of rule least_squares_floor), the cache's manifest (and arrays) and
    every seed's subset of size N'."""
    seeds = config["training"]["seeds"]
    return {
        **array_inputs(),
        "manifest": layout.data_manifest(),
        "subsets": [layout.subset(wildcards.n, s) for s in seeds],
    }


def reference_inputs(wildcards):
    """The NumPy run a framework run is compared with: the one with the same key; for an lr of
    "chosen", NumPy's run at the lr its search chose (every lr of the point if it chose none:
    the framework run then fails, having no lr to train with), plus the choice."""
    if wildcards.lr == grid.CHOSEN and int(wildcards.seed) not in grid.search_seeds(config):
        # a seed the lr search left out: NumPy's run at the chosen lr is a "chosen" run too
        refs = [grid.Run(grid.NUMPY, int(wildcards.batch), int(wildcards.n), grid.CHOSEN, int(wildcards.seed))]
    elif wildcards.lr == grid.CHOSEN:
        lrs, last = searched_lrs(grid.NUMPY, wildcards.batch, wildcards.n)
        chosen = lr_round_result(grid.NUMPY, wildcards.batch, wildcards.n, last)["chosen_lr"]
        refs = point_runs(grid.NUMPY, wildcards.batch, wildcards.n, lrs if chosen is None else [chosen], wildcards.seed)
    else:
        refs = [grid.Run(grid.NUMPY, int(wildcards.batch), int(wildcards.n), wildcards.lr, int(wildcards.seed))]
    inputs = {f"ref_{name.split('.')[0]}": run_files(name, refs) for name in layout.RUN_FILES}
    if wildcards.lr == grid.CHOSEN:
        inputs["lr_choice"] = layout.lr_choice(grid.NUMPY, wildcards.batch, wildcards.n)
    return inputs


def searched_round_files(wildcards):
    """Every lr-search round read to list the searched runs: an input of each rule whose params
    list them, since Snakemake requires a checkpoint a params function reads among the inputs
    (without it, a rerun of the lr search stops with "Rule parameter depends on checkpoint")."""
    files = []
    for backend, p in lr_choice_points():
        _, last = searched_lrs(backend, p.batch_size, p.n_train)
        files += [
            checkpoints.lr_search_round.get(backend=backend, batch=p.batch_size, n=p.n_train, round=r).output[0]
            for r in range(last + 1)
        ]
    return files


def searched_run_files(name):
    """Input function: one file of every run after the lr search (see searched_runs)."""
    return lambda wildcards: run_files(name, searched_runs())


def searched_run_keys(wildcards):
    """The run key (backend, batch size, N', lr as in paths, seed) of every run after the lr
    search, in the order of searched_runs() (a parameter: the key need not be read from a file)."""
    return [[r.backend, r.batch_size, r.n_train, r.lr_text, r.seed] for r in searched_runs()]


def run_benchmarks(wildcards):
    """The benchmark file of every run's training job, in the order of searched_runs() (a grid
    job's file once per run it trained)."""
    return [grid.training_benchmark(config, r) for r in searched_runs()]


def run_benchmark_inputs(wildcards):
    """run_benchmarks as inputs: only when inputs are staged (see INPUTS_STAGED)."""
    return run_benchmarks(wildcards) if INPUTS_STAGED else []


def floor_benchmarks(wildcards):
    return [grid.floor_benchmark(n) for n in sorted({n for n, _ in grid.subset_keys(config)})]


def caption(name):
    """A caption file (report/captions/), relative to the rule files, for report()."""
    return f"../../{layout.caption(name)}"
