"""Checkpoint lr_search_round: score the lrs tried so far at one point, propose the next ones."""

import json
from pathlib import Path

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.train.lr_choice import RunRecord, SearchSettings, rounds_so_far, search_round
from mnist_sgd.train.run_files import read_history, read_summary

with output_to_log(snakemake.log[0]):
    i, p, r = snakemake.input, snakemake.params, int(snakemake.wildcards.round)
    previous_file = i.get("previous")  # none in round 0
    previous = json.loads(Path(previous_file).read_text()) if previous_file else None
    if previous is not None and not previous["next_lrs"]:
        # the search ended in an earlier round: this one tries nothing new and repeats it (what
        # search_round would compute again from the same runs), so every point has the same rounds
        result = previous | {"round": r}
    else:
        settings = SearchSettings.from_config(p.search, p.n_val)
        runs = [RunRecord(read_summary(s), read_history(h)) for s, h in zip(i.summaries, i.histories, strict=True)]
        result = search_round(runs, settings, r, rounds_so_far(previous, p.grid_lrs))
    print(json.dumps(result, indent=2))
    write_json(result, snakemake.output[0])
