# Question 3's time: the textbook NumPy SGD step and the compiled kernel that trains the runs,
# timed for a few epochs at every batch size on the same visiting orders (one BLAS thread).


rule time_sgd_step:
    input:
        **array_inputs(),
        manifest=layout.data_manifest(),
    output:
        report(
            layout.step_timing(),
            caption=caption("table_step_timing"),
            category="Tables",
            labels={"table": "step_timing"},
        ),
    log:
        layout.log("time_sgd_step"),
    benchmark:
        layout.benchmark("time_sgd_step", "time_sgd_step")
    conda:
        "../envs/numpy.yaml"
    threads: 1
    resources:
        mem_mb=3000,
    params:
        arrays=ARRAYS,
        batch_sizes=config["grid"]["batch_sizes"],
        dtype=config["training"]["dtype"],
        epochs=config["timing"]["epochs"],
        examples=config["timing"]["examples"],
        code=code_digest("scripts/time_sgd_step.py"),
    message:
        "Timing the textbook SGD step and the compiled kernel per batch size ({output})"
    script:
        "../../scripts/time_sgd_step.py"
