# Download MNIST (one job per file, checksum-verified, from an ordered mirror list) and cache
# it as arrays. A failed download keeps the files already verified; the others download in parallel.
# Snakemake checks each file against its pinned SHA-256 (ensure) after the script has.


rule download_mnist:
    output:
        file=ensure(layout.mnist_file("{name}"), sha256=lambda w: MNIST_SHA256[w.name]),
        source=layout.mnist_source("{name}"),
    log:
        layout.log("download_mnist", "{name}"),
    wildcard_constraints:
        name="|".join(sorted(MNIST_SHA256)),
    retries: 0
    # No code digest: a file is kept only with its pinned SHA-256, so a change in the download
    # code cannot change it (and rerunning the downloads would rerun every job after them).
    conda:
        "../envs/numpy.yaml"
    params:
        mirrors=config["data"]["mirrors"],
        local_mirror=config["data"]["local_mirror"],
        timeout=config["data"]["timeout_seconds"],
        retries=config["data"]["retries"],
    message:
        "Fetching {wildcards.name} (mirrors: $MNIST_MIRROR, data.local_mirror, data.mirrors)"
    script:
        "../../scripts/download_mnist.py"


rule mnist_sources:
    input:
        [layout.mnist_source(name) for name in sorted(MNIST_SHA256)],
    output:
        layout.mnist_sources(),
    log:
        layout.log("mnist_sources"),
    localrule: True
    conda:
        "../envs/numpy.yaml"
    params:
        code=code_digest("scripts/mnist_sources.py"),
    message:
        "Recording where each MNIST file came from ({output})"
    script:
        "../../scripts/mnist_sources.py"


rule build_arrays:
    input:
        **MNIST,
    output:
        **ARRAYS,
        manifest=layout.data_manifest(),
    log:
        layout.log("build_arrays"),
    conda:
        "../envs/numpy.yaml"
    params:
        n_train=config["data"]["n_train"],
        n_val=config["data"]["n_val"],
        code=code_digest("scripts/build_arrays.py"),
    message:
        "Parsing the IDX files into cached float32 arrays (train/val/test)"
    script:
        "../../scripts/build_arrays.py"
