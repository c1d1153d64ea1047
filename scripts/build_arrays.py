"""Rule build_arrays: parse the IDX files into the cached arrays."""

import json

from mnist_sgd import layout
from mnist_sgd.data.dataset import arrays_of, build_arrays
from mnist_sgd.data.download import MNIST_SHA256
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    idx_files = {name: snakemake.input[layout.mnist_input(name)] for name in MNIST_SHA256}
    manifest = build_arrays(
        idx_files,
        arrays_of(snakemake.output),
        snakemake.output.manifest,
        n_train=snakemake.params.n_train,
        n_val=snakemake.params.n_val,
    )
    print(json.dumps(manifest, indent=2))
