# Training: one job per (backend, batch size, N', lr, seed), the least-squares floor per
# training subset, the lr choice per point, and the framework-vs-NumPy comparison.


rule draw_subset:
    output:
        "results/subsets/n{n}_seed{seed}.npy",
    log:
        "logs/draw_subset/n{n}_seed{seed}.log",
    conda:
        "../../environment.yml"
    params:
        n_total=config["data"]["n_train"],
        code=code_digest("minibatches.py"),
    message:
        "Drawing the training subset N'={wildcards.n} (seed {wildcards.seed})"
    script:
        "../../scripts/draw_subset.py"


rule train:
    input:
        unpack(train_inputs),
    output:
        history=f"{RUN_DIR}/history.csv",
        summary=f"{RUN_DIR}/summary.json",
        weights=f"{RUN_DIR}/weights.npz",
    log:
        f"logs/train/{RUN}.log",
    benchmark:
        f"results/benchmarks/train/{RUN}.tsv"
    priority: train_priority
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=3000,
        runtime=60,
    params:
        epochs=config["training"]["epochs"],
        dtype=config["training"]["dtype"],
        bias=config["training"]["bias"],
        divergence_factor=config["training"]["divergence_factor"],
        code=TRAINING_CODE,
    message:
        "Training {wildcards.backend}: B={wildcards.batch} N'={wildcards.n} lr={wildcards.lr} seed={wildcards.seed}"
    script:
        "../../scripts/train.py"


rule least_squares_floor:
    input:
        manifest=DATA,
        subset=subset_file,
    output:
        "results/floor/n{n}_seed{seed}.json",
    log:
        "logs/least_squares_floor/n{n}_seed{seed}.log",
    benchmark:
        "results/benchmarks/least_squares_floor/n{n}_seed{seed}.tsv"
    conda:
        "../../environment.yml"
    threads: 1
    resources:
        mem_mb=4000,
    params:
        bias=config["training"]["bias"],
        code=code_digest("floor.py", "training.py", "sgd.py", "run.py", "dataset.py"),
    message:
        "Least-squares floor of N'={wildcards.n} (seed {wildcards.seed})"
    script:
        "../../scripts/least_squares_floor.py"


rule choose_lr:
    input:
        point_summaries,
    output:
        "results/lr_choice/{backend}/b{batch}_n{n}.json",
    log:
        "logs/choose_lr/{backend}/b{batch}_n{n}.log",
    conda:
        "../../environment.yml"
    params:
        code=code_digest("lr_choice.py"),
    message:
        "Choosing the lr of {wildcards.backend} at B={wildcards.batch} N'={wildcards.n} on validation accuracy"
    script:
        "../../scripts/choose_lr.py"


rule compare_backends:
    input:
        unpack(reference_inputs),
        summary=f"{RUN_DIR}/summary.json",
        history=f"{RUN_DIR}/history.csv",
        weights=f"{RUN_DIR}/weights.npz",
    output:
        f"results/consistency/{RUN}.json",
    log:
        f"logs/compare_backends/{RUN}.log",
    conda:
        "../../environment.yml"
    params:
        dtype=config["training"]["dtype"],
        tolerances=config["consistency"][config["training"]["dtype"]],
        code=code_digest("consistency.py", "run.py"),
    message:
        "Comparing {wildcards.backend} with numpy: B={wildcards.batch} N'={wildcards.n} lr={wildcards.lr}"
    script:
        "../../scripts/compare_backends.py"
