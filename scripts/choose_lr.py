"""Rule choose_lr: the learning rate of one (backend, B, N') point: the round that ended its lr search."""

import json
from pathlib import Path

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.train.lr_choice import SearchSettings, lr_choice_record

with output_to_log(snakemake.log[0]):
    w, p = snakemake.wildcards, snakemake.params
    settings = SearchSettings.from_config(p.search, p.n_val)
    rounds = [json.loads(Path(path).read_text()) for path in snakemake.input]  # round 0, 1, ...
    final_round = next(r for r in rounds if not r["next_lrs"])  # the rounds after it repeat it
    choice = lr_choice_record(w.backend, int(w.batch), int(w.n), final_round, settings, p.epochs, p.n_seeds)
    print(json.dumps(choice, indent=2))
    write_json(choice, snakemake.output[0])
