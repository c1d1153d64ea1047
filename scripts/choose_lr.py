"""Snakemake script: the learning rate of one (backend, B, N') point (checkpoint choose_lr)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.atomic import write_json  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.lr_choice import choose_lr  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    summaries = [json.loads(Path(p).read_text()) for p in sm.input]
    choice = {"backend": sm.wildcards.backend, "batch_size": int(sm.wildcards.batch),
              "n_train": int(sm.wildcards.n), "criterion": "best mean final validation accuracy; "
              "ties: lower validation loss, then smaller lr; diverged runs excluded"} | choose_lr(summaries)
    print(json.dumps(choice, indent=2))
    write_json(choice, sm.output[0])
