# mnist-sgd-report: hand-coded minibatch SGD on MNIST, checked against TensorFlow and
# PyTorch, rendered as the assignment's report. See README.md.
from snakemake.utils import min_version

min_version("9.0")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/timing.smk"


rule all:
    default_target: True
    input:
        all_targets,
