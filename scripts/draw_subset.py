"""Rule draw_subset: the indices of one training subset."""

from mnist_sgd.atomic import write_npy
from mnist_sgd.job import output_to_log
from mnist_sgd.train.minibatches import draw_subset

with output_to_log(snakemake.log[0]):
    n_total = snakemake.params.n_total
    indices = draw_subset(n_total, int(snakemake.wildcards.n), int(snakemake.wildcards.seed))
    write_npy(indices, snakemake.output[0])
    print(f"{len(indices)} of {n_total} training images, first: {indices[:10].tolist()}")
