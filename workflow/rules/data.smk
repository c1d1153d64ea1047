# Download MNIST (checksum-verified, from an ordered mirror list) and cache it as arrays.


rule download_mnist:
    output:
        **MNIST,
        sources=layout.mnist_sources(),
    log:
        layout.log("download_mnist"),
    retries: 0
    conda:
        "../../environment.yml"
    params:
        mirrors=config["data"]["mirrors"],
        local_mirror=config["data"]["local_mirror"],
        timeout=config["data"]["timeout_seconds"],
        retries=config["data"]["retries"],
    message:
        "Fetching the four MNIST files (mirrors: $MNIST_MIRROR, data.local_mirror, data.mirrors)"
    script:
        "../../scripts/download_mnist.py"


rule build_arrays:
    input:
        **MNIST,
    output:
        **ARRAYS,
        manifest=layout.data_manifest(),
    log:
        layout.log("build_arrays"),
    conda:
        "../../environment.yml"
    params:
        n_train=config["data"]["n_train"],
        n_val=config["data"]["n_val"],
        code=code_digest("mnist_sgd/data/*.py"),
    message:
        "Parsing the IDX files into cached float32 arrays (train/val/test)"
    script:
        "../../scripts/build_arrays.py"
