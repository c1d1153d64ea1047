"""Rule compare_backends: a framework run against the NumPy run with the same key."""

import json

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.train.consistency import compare_with_reference

with output_to_log(snakemake.log[0]):
    i = snakemake.input
    run = {"history": i.history, "summary": i.summary, "weights": i.weights}
    references = [
        {"history": h, "summary": s, "weights": w}
        for h, s, w in zip(i.ref_history, i.ref_summary, i.ref_weights, strict=True)
    ]
    result = compare_with_reference(run, references, snakemake.params.tolerances, snakemake.params.dtype)
    print(json.dumps(result, indent=2))
    write_json(result, snakemake.output[0])
