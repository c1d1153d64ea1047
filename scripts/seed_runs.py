"""Rule seed_runs: which runs trained a point's chosen lr on the seeds the lr search left out
(none where every lr diverged); its inputs make Snakemake train them as soon as the point's
own search has ended."""

import json
from pathlib import Path

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    choice = json.loads(Path(snakemake.input.choice).read_text())
    summaries = [json.loads(Path(path).read_text()) for path in snakemake.input.summaries]
    record = {
        "batch_size": choice["batch_size"],
        "n_train": choice["n_train"],
        "chosen_lr": choice["chosen_lr"],
        "runs": [{"seed": s["seed"], "lr": s["lr"], "status": s["status"]} for s in summaries],
    }
    print(json.dumps(record, indent=2))
    write_json(record, snakemake.output[0])
