"""Rules train and train_grid: training runs of one (backend, B, N', seed), one lr after another.

Rule train has one lr (a number, or "chosen"), rule train_grid every lr of the configured grid;
the outputs are each lr's history, summary and weights, in the order of ``params.lrs``.
"""

from mnist_sgd.job import limit_threads, output_to_log

limit_threads(snakemake.threads)  # before NumPy loads

import json  # noqa: E402 (after the thread limit)
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import arrays_of  # noqa: E402
from mnist_sgd.layout import RUN_FILES  # noqa: E402
from mnist_sgd.train.run import RunSettings, load_eval_sets, resolve_lr, run_summary, train_run  # noqa: E402
from mnist_sgd.train.run_files import write_run  # noqa: E402

with output_to_log(snakemake.log[0]):
    w, p, out = snakemake.wildcards, snakemake.params, snakemake.output
    if len(out) != len(RUN_FILES) * len(p.lrs):
        raise ValueError(f"{len(out)} outputs for the lrs {p.lrs}: expected {len(RUN_FILES)} files per lr")
    choice_file = snakemake.input.get("lr_choice")  # only for an lr of "chosen"
    choice = json.loads(Path(choice_file).read_text()) if choice_file else None
    subset = np.load(snakemake.input.subset, allow_pickle=False)
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**snakemake.params.arrays, **dict(snakemake.input.items())})
    sets = load_eval_sets(arrays, subset, p.dtype, snakemake.input.manifest)  # checked and compressed once
    for i, lr_text in enumerate(p.lrs):
        settings = RunSettings(
            backend=w.backend,
            batch_size=int(w.batch),
            lr=resolve_lr(lr_text, choice),
            seed=int(w.seed),
            epochs=p.epochs,
            dtype=p.dtype,
            bias=p.bias,
            divergence_factor=p.divergence_factor,
        )
        print(f"training {settings} on {len(subset)} images")
        history, params = train_run(settings, sets)
        for row in history.rows:
            print(row)
        print(f"status: {history.status}")
        files = dict(zip(RUN_FILES, out[len(RUN_FILES) * i : len(RUN_FILES) * (i + 1)], strict=True))
        summary = run_summary(settings, lr_text, len(subset), history)
        write_run(history, params, summary, files["history.csv"], files["summary.json"], files["weights.npz"])
