"""Rule train: one training run."""

from mnist_sgd.job import limit_threads, output_to_log

limit_threads(snakemake.threads)  # before NumPy loads

import json  # noqa: E402 (after the thread limit)
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import arrays_of  # noqa: E402
from mnist_sgd.train.run import RunSettings, load_eval_sets, resolve_lr, run_summary, train_run  # noqa: E402
from mnist_sgd.train.run_files import write_run  # noqa: E402

with output_to_log(snakemake.log[0]):
    w, p, out = snakemake.wildcards, snakemake.params, snakemake.output
    choice_file = snakemake.input.get("lr_choice")  # only for an lr of "chosen"
    choice = json.loads(Path(choice_file).read_text()) if choice_file else None
    settings = RunSettings(
        backend=w.backend,
        batch_size=int(w.batch),
        lr=resolve_lr(w.lr, choice),
        seed=int(w.seed),
        epochs=p.epochs,
        dtype=p.dtype,
        bias=p.bias,
        divergence_factor=p.divergence_factor,
    )
    subset = np.load(snakemake.input.subset, allow_pickle=False)
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**snakemake.params.arrays, **dict(snakemake.input.items())})
    sets = load_eval_sets(arrays, subset, settings.dtype, snakemake.input.manifest)
    print(f"training {settings} on {len(subset)} images")
    history, params = train_run(settings, sets)
    for row in history.rows:
        print(row)
    print(f"status: {history.status}")
    write_run(history, params, run_summary(settings, w.lr, len(subset), history), out.history, out.summary, out.weights)
