"""Where every file of the workflow lives: one function per kind of file, the only place
a path is spelled out.

The rules build their inputs and outputs from these functions (with wildcards such as
``"{n}"`` as arguments, or with values), and rule scripts get every path from
``snakemake.input`` / ``snakemake.output``: no code derives one path from another.
Paths are relative to the workflow's working directory.

Keys (the part of a path that names one job's outputs):

- a subset:  ``n{N}_seed{seed}``
- a point:   ``{backend}/b{B}_n{N}``
- a run:     ``{backend}/b{B}/n{N}/lr{lr}/seed{seed}``
- a grid job: ``{backend}/b{B}/n{N}/seed{seed}`` (the runs of every lr of the configured grid
  at one point and seed, trained by one job of rule ``train_grid``)
- a seeds job: a point's key (the runs of its chosen lr on every seed the lr search leaves out,
  trained by one job of rule ``train_seeds``)
- a floor job: ``n{N}`` (the least-squares floors of every seed's subset of size N, one job of
  rule ``least_squares_floor``)
"""

from __future__ import annotations

RESOURCES = "resources"
RESULTS = "results"
LOGS = "logs"
BENCHMARKS = f"{RESULTS}/benchmarks"

#: The files of one training run.
RUN_FILES = ("history.csv", "summary.json", "weights.npz")
#: The tables of rule ``aggregate``, in the order the report reads them.
TABLES = ("runs", "epochs", "floors", "spectrum", "lr_choice", "consistency")
#: The cached arrays of rule ``build_arrays``.
SPLITS = ("train", "val", "test")
ARRAY_KINDS = ("images", "labels")


# ---- keys ----------------------------------------------------------------------------


def subset_key(n, seed) -> str:
    return f"n{n}_seed{seed}"


def point_key(backend, batch, n) -> str:
    return f"{backend}/b{batch}_n{n}"


def run_key(backend, batch, n, lr, seed) -> str:
    return f"{backend}/b{batch}/n{n}/lr{lr}/seed{seed}"


def grid_job_key(backend, batch, n, seed) -> str:
    return f"{backend}/b{batch}/n{n}/seed{seed}"


def floor_job_key(n) -> str:
    return f"n{n}"


# ---- data ----------------------------------------------------------------------------


def mnist_file(name) -> str:
    """A verified, uncompressed MNIST IDX file."""
    return f"{RESOURCES}/mnist/{name}"


def mnist_input(name) -> str:
    """The name of an MNIST file among a rule's named inputs/outputs (``train_images_idx3_ubyte``)."""
    return name.replace("-", "_")


def mnist_source(name) -> str:
    """Where one MNIST file was fetched from: the mirror list, URL, SHA-256 and size (JSON)."""
    return f"{RESOURCES}/mnist/{name}.source.json"


def mnist_sources() -> str:
    """Where each MNIST file was fetched from (JSON): the records of :func:`mnist_source` together."""
    return f"{RESOURCES}/mnist/sources.json"


def array(split, kind) -> str:
    """A cached array: ``kind`` is images (float32 (n, 784)) or labels (uint8 (n,))."""
    return f"{RESULTS}/data/{split}_{kind}.npy"


def array_input(split, kind) -> str:
    """The name of a cached array among a rule's named inputs/outputs (``train_images``, ...)."""
    return f"{split}_{kind}"


def data_manifest() -> str:
    """Shapes, label counts and checksums of the cached arrays (written last)."""
    return f"{RESULTS}/data/manifest.json"


# ---- training --------------------------------------------------------------------------


def subset(n, seed) -> str:
    """Indices of a training subset (int64 .npy)."""
    return f"{RESULTS}/subsets/{subset_key(n, seed)}.npy"


def run_file(name, backend, batch, n, lr, seed) -> str:
    """One of :data:`RUN_FILES` of a run."""
    return f"{RESULTS}/runs/{run_key(backend, batch, n, lr, seed)}/{name}"


def floor(n, seed) -> str:
    """The least-squares floor of a training subset (JSON)."""
    return f"{RESULTS}/floor/{subset_key(n, seed)}.json"


def lr_choice(backend, batch, n) -> str:
    """The learning rate chosen at a (backend, B, N') point (JSON)."""
    return f"{RESULTS}/lr_choice/{point_key(backend, batch, n)}.json"


def seed_runs(backend, batch, n) -> str:
    """The runs of the chosen lr on the seeds the lr search left out, at a (backend, B, N') point (JSON)."""
    return f"{RESULTS}/lr_choice/{point_key(backend, batch, n)}_seeds.json"


def lr_round(backend, batch, n, round) -> str:
    """One round of the lr search at a point: what was tried, the choice, the next lrs (JSON)."""
    return f"{RESULTS}/lr_search/{point_key(backend, batch, n)}/round{round}.json"


def consistency(backend, batch, n, lr, seed) -> str:
    """A framework run compared with the NumPy run of the same key (JSON)."""
    return f"{RESULTS}/consistency/{run_key(backend, batch, n, lr, seed)}.json"


# ---- report --------------------------------------------------------------------------


def table(name) -> str:
    """One of :data:`TABLES` (CSV)."""
    return f"{RESULTS}/tables/{name}.csv"


def paired_tests() -> str:
    """McNemar's test of every pair of models the report compares (CSV; rule ``paired_tests``)."""
    return table("paired_tests")


def step_timing() -> str:
    """Seconds per epoch, update and example of the textbook NumPy step and of the compiled
    kernel at every B (CSV; rule ``time_sgd_step``)."""
    return table("step_timing")


def figure(name) -> str:
    return f"{RESULTS}/figures/{name}.svg"


def provenance() -> str:
    return f"{RESULTS}/provenance.json"


def report(suffix) -> str:
    """The assignment report, ``suffix`` html or pdf."""
    return f"{RESULTS}/report/report.{suffix}"


def claims_ledger() -> str:
    """Every claim of the report: statement, status, margin, per-seed truth, numbers (JSON)."""
    return f"{RESULTS}/report/claims.json"


def snakemake_report() -> str:
    """Snakemake's own report (``snakemake --report``): never inside the top-level report/."""
    return f"{RESULTS}/snakemake-report.html"


# ---- the repository's own files (relative to the repository root) -----------------------

CONFIG_SCHEMA = "workflow/schemas/config.schema.yaml"
REPORT_TEMPLATES = "report/templates"
REPORT_STYLESHEET = "report/report.css"


def caption(name) -> str:
    """The caption of a figure or table: one reStructuredText line, a Jinja template that may
    use ``snakemake.config`` (Snakemake's report renders it so; so does ours)."""
    return f"report/captions/{name}.rst"


# ---- logs and benchmarks ---------------------------------------------------------------


def log(rule, key=None) -> str:
    """The log of one job of ``rule`` (``key`` names the job; a rule with one job has none)."""
    return f"{LOGS}/{rule}/{key or rule}.log"


def benchmark(rule, key) -> str:
    """Snakemake's benchmark file (wall seconds, peak memory) of one job of ``rule``."""
    return f"{BENCHMARKS}/{rule}/{key}.tsv"
