"""Rule time_sgd_step: seconds per epoch, update and example of the textbook NumPy SGD step
and of the compiled kernel, at every batch size (mnist_sgd/step_timing.py)."""

from mnist_sgd.job import limit_threads, output_to_log

limit_threads(snakemake.threads)  # before NumPy loads: one BLAS thread, as the training jobs

from mnist_sgd.atomic import write_atomically  # noqa: E402 (after the thread limit)
from mnist_sgd.data.dataset import arrays_of, load_split, one_hot, verify_arrays  # noqa: E402
from mnist_sgd.step_timing import time_epochs  # noqa: E402

with output_to_log(snakemake.log[0]):
    p = snakemake.params
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**p.arrays, **dict(snakemake.input.items())})
    train = {key: path for key, path in arrays.items() if key[0] == "train"}
    verify_arrays(train, snakemake.input.manifest)
    split = load_split(train[("train", "images")], train[("train", "labels")], dtype=p.dtype)
    table = time_epochs(split.images, one_hot(split.labels, p.dtype), p.batch_sizes, p.epochs, p.examples)
    write_atomically(table.to_csv(index=False).encode(), snakemake.output[0])
