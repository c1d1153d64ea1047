# Training: one job per (backend, B, N', seed) for the configured lr grid (rule train_grid, the
# lrs in lockstep in one process), one job per NumPy point for its chosen lr on the seeds the lr
# search leaves out (rule train_seeds) and one job per run for every other run (rule train: the
# lrs the lr search adds, the frameworks' runs); the least-squares floors per subset size, the
# lr choice per point, and the framework-vs-NumPy comparison.


# A run of the configured lr grid is an output of rules train_grid and train: its grid job trains
# it. A run of the chosen lr on a seed the lr search leaves out is an output of rules train_seeds
# and train: its point's seeds job trains it.
ruleorder: train_grid > train_seeds > train


#: What both training rules pass their script besides the lrs (params: a change reruns the runs).
TRAINING_PARAMS = dict(
    arrays=ARRAYS,
    epochs=config["training"]["epochs"],
    dtype=config["training"]["dtype"],
    bias=config["training"]["bias"],
    divergence_factor=config["training"]["divergence_factor"],
    code=training_code,
)


rule draw_subset:
    output:
        layout.subset("{n}", "{seed}"),
    log:
        layout.log("draw_subset", SUBSET),
    conda:
        "../envs/numpy.yaml"
    params:
        n_total=config["data"]["n_train"],
        code=code_digest("scripts/draw_subset.py"),
    message:
        "Drawing the training subset N'={wildcards.n} (seed {wildcards.seed})"
    script:
        "../../scripts/draw_subset.py"


rule train:
    input:
        unpack(train_inputs),
    output:
        history=run_file("history.csv"),
        summary=run_file("summary.json"),
        weights=run_file("weights.npz"),
    log:
        layout.log("train", RUN),
    benchmark:
        layout.benchmark("train", RUN)
    priority: train_priority
    conda:
        training_env
    threads: 1
    # what the heaviest backend (TensorFlow) and the longest runs (B = 1) were measured to need,
    # with a margin (docs/performance.md). Doubled on each retry.
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10),
    params:
        **TRAINING_PARAMS,
        lrs=run_lrs,
        seeds=run_seeds,
    message:
        "Training {wildcards.backend}: B={wildcards.batch} N'={wildcards.n} lr={wildcards.lr} seed={wildcards.seed}"
    script:
        "../../scripts/train.py"


# The configured lrs of one point and seed in one process: the interpreter's start, the imports,
# the compiled kernels' loading and the data (checked, compressed) are paid once, not per lr.
# Each run's numbers are those of a job of its own (tests/test_workflow.py).
rule train_grid:
    input:
        unpack(train_inputs),
    output:
        grid_job_files(),
    log:
        layout.log("train_grid", GRID_JOB),
    benchmark:
        layout.benchmark("train_grid", GRID_JOB)
    # only the lr search's seeds train the whole grid; another seed's run at a grid lr is a job of its own
    wildcard_constraints:
        seed="|".join(str(s) for s in grid.search_seeds(config)),
    priority: train_priority
    conda:
        training_env
    threads: 1
    # a point's lr grid one lr after another: 5 minutes per lr. Doubled on each retry.
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(5 * len(config["grid"]["learning_rates"])),
    params:
        **TRAINING_PARAMS,
        lrs=grid.grid_lr_texts(config),
        seeds=grid_job_seeds,
    message:
        "Training {wildcards.backend}: B={wildcards.batch} N'={wildcards.n} seed={wildcards.seed} at every lr of the grid"
    script:
        "../../scripts/train.py"


# The chosen lr of a NumPy point on every seed the lr search leaves out, one seed after another in
# one process: the interpreter's start, the imports, the data's check and the validation and test
# sets' compression are paid once. Each run trains alone (its seconds are its own).
rule train_seeds:
    input:
        unpack(seeds_job_inputs),
    output:
        seeds_job_files(),
    log:
        layout.log("train_seeds", POINT),
    benchmark:
        layout.benchmark("train_seeds", POINT)
    wildcard_constraints:
        backend=grid.NUMPY,
    priority: train_priority
    conda:
        training_env
    threads: 1
    # 10 minutes per run, as rule train. Doubled on each retry.
    resources:
        mem_mb=per_attempt(2000),
        runtime=per_attempt(10 * len(grid.other_seeds(config))),
    params:
        **TRAINING_PARAMS,
        lrs=[grid.CHOSEN] * len(grid.other_seeds(config)),
        seeds=grid.other_seeds(config),
    message:
        "Training {wildcards.backend}: B={wildcards.batch} N'={wildcards.n} at its chosen lr on seeds "
        + ", ".join(map(str, grid.other_seeds(config)))
    script:
        "../../scripts/train.py"


# The floors of every seed's subset of one size in one process: the data is checked and read
# once, and a subset equal to another seed's (the whole training set) is solved once.
rule least_squares_floor:
    input:
        unpack(floor_inputs),
    output:
        [layout.floor("{n}", s) for s in config["training"]["seeds"]],
    log:
        layout.log("least_squares_floor", layout.floor_job_key("{n}")),
    benchmark:
        layout.benchmark("least_squares_floor", layout.floor_job_key("{n}"))
    conda:
        "../envs/numpy.yaml"
    threads: 1
    # the full training set's floor, measured, with a margin (docs/performance.md). Doubled on each retry.
    resources:
        mem_mb=per_attempt(1500),
        runtime=per_attempt(10),
    params:
        arrays=ARRAYS,
        bias=config["training"]["bias"],
        seeds=config["training"]["seeds"],
        code=code_digest("scripts/least_squares_floor.py"),
    message:
        "Least-squares floors of N'={wildcards.n} (seeds " + ", ".join(map(str, config["training"]["seeds"])) + ")"
    script:
        "../../scripts/least_squares_floor.py"


checkpoint lr_search_round:
    input:
        unpack(search_round_inputs),
    output:
        layout.lr_round("{backend}", "{batch}", "{n}", "{round}"),
    log:
        layout.log("lr_search_round", f"{POINT}_round{{round}}"),
    priority: SEARCH_PRIORITY
    conda:
        "../envs/numpy.yaml"
    params:
        search=config["lr_search"],
        n_val=config["data"]["n_val"],
        grid_lrs=config["grid"]["learning_rates"],
        code=code_digest("scripts/lr_search_round.py"),
    message:
        "lr search at {wildcards.backend} B={wildcards.batch} N'={wildcards.n}: round {wildcards.round}"
    script:
        "../../scripts/lr_search_round.py"


rule choose_lr:
    input:
        search_rounds,
    output:
        layout.lr_choice("{backend}", "{batch}", "{n}"),
    log:
        layout.log("choose_lr", POINT),
    priority: SEARCH_PRIORITY
    conda:
        "../envs/numpy.yaml"
    params:
        search=config["lr_search"],
        n_val=config["data"]["n_val"],
        epochs=config["training"]["epochs"],
        n_seeds=len(grid.search_seeds(config)),
        code=code_digest("scripts/choose_lr.py"),
    message:
        "Choosing the lr of {wildcards.backend} at B={wildcards.batch} N'={wildcards.n} (the round that ended the search)"
    script:
        "../../scripts/choose_lr.py"


# The other seeds at each point's chosen lr: this rule's input lists them once the point's own lr
# search has ended, so that they train while other points are still searching.
rule seed_runs:
    input:
        unpack(seed_runs_inputs),
    output:
        layout.seed_runs(grid.NUMPY, "{batch}", "{n}"),
    log:
        layout.log("seed_runs", layout.point_key(grid.NUMPY, "{batch}", "{n}")),
    conda:
        "../envs/numpy.yaml"
    params:
        code=code_digest("scripts/seed_runs.py"),
    message:
        "The chosen lr of numpy at B={wildcards.batch} N'={wildcards.n} on the other seeds"
    script:
        "../../scripts/seed_runs.py"


rule compare_backends:
    input:
        unpack(reference_inputs),
        history=run_file("history.csv"),
        summary=run_file("summary.json"),
        weights=run_file("weights.npz"),
    output:
        layout.consistency("{backend}", "{batch}", "{n}", "{lr}", "{seed}"),
    log:
        layout.log("compare_backends", RUN),
    conda:
        "../envs/numpy.yaml"
    params:
        dtype=config["training"]["dtype"],
        tolerances=config["consistency"][config["training"]["dtype"]],
        code=code_digest("scripts/compare_backends.py"),
    message:
        "Comparing {wildcards.backend} with NumPy: B={wildcards.batch} N'={wildcards.n} lr={wildcards.lr}"
    script:
        "../../scripts/compare_backends.py"
