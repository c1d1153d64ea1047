# Config validation, the experiment grid and the input functions shared by every rule.
import sys

sys.path.insert(0, workflow.basedir)  # the repository's mnist_sgd package

from mnist_sgd import grid
from mnist_sgd.config import ConfigError, validate_config
from mnist_sgd.download import MNIST_SHA256


try:
    config.update(validate_config(config))
except ConfigError as err:
    raise WorkflowError(str(err)) from None


MNIST_FILES = sorted(MNIST_SHA256)


wildcard_constraints:
    backend="numpy|tensorflow|pytorch",
    batch="[1-9][0-9]*",
    n="[1-9][0-9]*",
    lr="[0-9]+(\.[0-9]+)?",
    seed="[0-9]+",


def all_targets():
    """Everything `snakemake` builds by default."""
    return ["results/data/manifest.json"]
