# Download MNIST (checksum-verified, from an ordered mirror list) and cache it as arrays.


rule download_mnist:
    output:
        expand("resources/mnist/{name}", name=MNIST_FILES),
        sources="resources/mnist/sources.json",
    log:
        "logs/download_mnist/download_mnist.log",
    retries: 0
    conda:
        "../../environment.yml"
    message:
        "Fetching the four MNIST files (mirrors: $MNIST_MIRROR, data.local_mirror, data.mirrors)"
    script:
        "../../scripts/download_mnist.py"


rule build_arrays:
    input:
        rules.download_mnist.output,
    output:
        images=expand("results/data/{split}_images.npy", split=["train", "val", "test"]),
        labels=expand("results/data/{split}_labels.npy", split=["train", "val", "test"]),
        manifest="results/data/manifest.json",
    log:
        "logs/build_arrays/build_arrays.log",
    conda:
        "../../environment.yml"
    params:
        n_train=config["data"]["n_train"],
        n_val=config["data"]["n_val"],
    message:
        "Parsing the IDX files into cached float32 arrays (train/val/test)"
    script:
        "../../scripts/build_arrays.py"
