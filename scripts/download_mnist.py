"""Snakemake script: fetch and verify the four MNIST IDX files (rule download_mnist)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.atomic import write_json  # noqa: E402
from mnist_sgd.download import MNIST_SHA256, fetch_verified, mirror_list  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    data_cfg = sm.config["data"]
    mirrors = mirror_list(data_cfg["mirrors"], data_cfg["local_mirror"])
    print("mirrors, in order:", *mirrors, sep="\n  ")
    fetched = []
    for dest in sm.output[:-1]:
        name = Path(dest).name
        item = fetch_verified(name, Path(dest), mirrors, MNIST_SHA256[name],
                              timeout=data_cfg["timeout_seconds"], retries=data_cfg["retries"])
        print(f"{name}: {item.n_bytes} bytes from {item.source}, sha256 {item.sha256}")
        fetched.append(item.__dict__)
    write_json({"mirrors": mirrors, "files": fetched}, sm.output.sources)
