"""Rule choose_lr: the learning rate of one (backend, B, N') point, on validation data."""

import json

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.train.lr_choice import lr_choice_record
from mnist_sgd.train.run_files import read_summary

with output_to_log(snakemake.log[0]):
    w = snakemake.wildcards
    choice = lr_choice_record(w.backend, int(w.batch), int(w.n), [read_summary(p) for p in snakemake.input])
    print(json.dumps(choice, indent=2))
    write_json(choice, snakemake.output[0])
