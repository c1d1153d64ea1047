"""Rules train, train_grid and train_seeds: training runs of one (backend, B, N').

``params.lrs`` and ``params.seeds`` give each run's lr (a number, or "chosen") and seed, in
the order of the outputs (each run's history, summary and weights). Rule train has one run,
rule train_grid every lr of the configured grid on one seed (NumPy's train in lockstep:
mnist_sgd.train.lockstep), rule train_seeds the chosen lr on several seeds, one after another.
``input.subsets`` has each seed's training subset, in the order the seeds first appear. Each
epoch of each run is written to the log as it ends.
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
    load_eval_sets_of_subsets,
    resolve_lr,
    run_summary,
    train_runs,
    trains_in_lockstep,
)
from mnist_sgd.train.run_files import write_run  # noqa: E402

with output_to_log(snakemake.log[0]):
    p, out = snakemake.params, snakemake.output
    if len(p.seeds) != len(p.lrs) or len(out) != len(RUN_FILES) * len(p.lrs):
        raise ValueError(
            f"{len(out)} outputs for the lrs {p.lrs} and seeds {p.seeds}: expected {len(RUN_FILES)} per run"
        )
    choice_file = snakemake.input.get("lr_choice")  # only for an lr of "chosen"
    choice = json.loads(Path(choice_file).read_text()) if choice_file else None
    seeds = list(dict.fromkeys(int(s) for s in p.seeds))
    subsets = [np.load(f, allow_pickle=False) for f in snakemake.input.subsets]
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**snakemake.params.arrays, **dict(snakemake.input.items())})
    # checked and compressed once; the validation and test sets shared by every seed
    sets_of = dict(
        zip(seeds, load_eval_sets_of_subsets(arrays, subsets, p.dtype, snakemake.input.manifest), strict=True)
    )
    runs = [
        RunSettings(
            backend=snakemake.wildcards.backend,
            batch_size=int(snakemake.wildcards.batch),
            lr=resolve_lr(lr_text, choice),
            seed=int(seed),
            epochs=p.epochs,
            dtype=p.dtype,
            bias=p.bias,
            divergence_factor=p.divergence_factor,
        )
        for lr_text, seed in zip(p.lrs, p.seeds, strict=True)
    ]
    labels = [f"{lr} seed {s}" if len(seeds) > 1 else lr for lr, s in zip(p.lrs, p.seeds, strict=True)]
    # the runs of one seed train together (in lockstep where trains_in_lockstep), the seeds one after another
    groups = [[i for i, r in enumerate(runs) if r.seed == seed] for seed in seeds]
    for settings in runs:
        print(f"training {settings} on {len(sets_of[settings.seed][0].X)} images")
    for group in groups:
        settings = [runs[i] for i in group]
        together = len(group) if trains_in_lockstep(settings) else 1
        print(f"seed {settings[0].seed}: " + (f"{together} runs in lockstep" if together > 1 else "solo"), flush=True)

        def progress(j: int, row: dict, group=group) -> None:
            print(epoch_line(labels[group[j]], row, p.epochs), flush=True)

        for i, (history, params) in zip(
            group, train_runs(settings, sets_of[settings[0].seed], on_epoch=progress), strict=True
        ):
            print(f"lr {labels[i]} status: {history.status}")
            files = dict(zip(RUN_FILES, out[len(RUN_FILES) * i : len(RUN_FILES) * (i + 1)], strict=True))
            summary = run_summary(runs[i], p.lrs[i], len(sets_of[runs[i].seed][0].X), history, lockstep_models=together)
            write_run(history, params, summary, files["history.csv"], files["summary.json"], files["weights.npz"])
