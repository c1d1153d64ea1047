"""Rules train and train_grid: training runs of one (backend, B, N', seed).

Rule train has one lr (a number, or "chosen"), rule train_grid every lr of the configured grid;
the outputs are each lr's history, summary and weights, in the order of ``params.lrs``. The
NumPy runs of a grid job train in lockstep (mnist_sgd.train.lockstep), the others one lr
after another. Each epoch of each run is written to the log as it ends.
"""

from mnist_sgd.job import limit_threads, output_to_log

limit_threads(snakemake.threads)  # before NumPy loads

import json  # noqa: E402 (after the thread limit)
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import arrays_of  # noqa: E402
from mnist_sgd.layout import RUN_FILES  # noqa: E402
from mnist_sgd.train.run import (  # noqa: E402
    RunSettings,
    epoch_line,
    load_eval_sets,
    resolve_lr,
    run_summary,
    train_runs,
    trains_in_lockstep,
)
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
    runs = [
        RunSettings(
            backend=w.backend,
            batch_size=int(w.batch),
            lr=resolve_lr(lr_text, choice),
            seed=int(w.seed),
            epochs=p.epochs,
            dtype=p.dtype,
            bias=p.bias,
            divergence_factor=p.divergence_factor,
        )
        for lr_text in p.lrs
    ]
    for settings in runs:
        print(f"training {settings} on {len(subset)} images")
    together = len(runs) if trains_in_lockstep(runs) else 1
    print(f"{together} runs in lockstep" if together > 1 else "solo", flush=True)

    def progress(i: int, row: dict) -> None:
        print(epoch_line(p.lrs[i], row, p.epochs), flush=True)

    for i, (lr_text, settings, (history, params)) in enumerate(
        zip(p.lrs, runs, train_runs(runs, sets, on_epoch=progress), strict=True)
    ):
        print(f"lr {lr_text} status: {history.status}")
        files = dict(zip(RUN_FILES, out[len(RUN_FILES) * i : len(RUN_FILES) * (i + 1)], strict=True))
        summary = run_summary(settings, lr_text, len(subset), history, lockstep_models=together)
        write_run(history, params, summary, files["history.csv"], files["summary.json"], files["weights.npz"])
