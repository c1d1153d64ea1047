"""Rule choose_lr: the learning rate of one (backend, B, N') point: the lr search's final round."""

import json
from pathlib import Path

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.train.lr_choice import SearchSettings, lr_choice_record

with output_to_log(snakemake.log[0]):
    w, p = snakemake.wildcards, snakemake.params
    settings = SearchSettings.from_config(p.search, p.n_val)
    final_round = json.loads(Path(snakemake.input[0]).read_text())
    choice = lr_choice_record(w.backend, int(w.batch), int(w.n), final_round, settings, p.epochs, p.n_seeds)
    print(json.dumps(choice, indent=2))
    write_json(choice, snakemake.output[0])
