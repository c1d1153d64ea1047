"""Rule download_mnist: fetch and verify the four MNIST IDX files."""

from mnist_sgd import layout
from mnist_sgd.atomic import write_json
from mnist_sgd.data.download import MNIST_SHA256, fetch_verified, mirror_list
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    p = snakemake.params
    mirrors = mirror_list(p.mirrors, p.local_mirror)
    print("mirrors, in order:", *mirrors, sep="\n  ")
    fetched = []
    for name, sha256 in MNIST_SHA256.items():
        item = fetch_verified(
            name, snakemake.output[layout.mnist_input(name)], mirrors, sha256, timeout=p.timeout, retries=p.retries
        )
        print(f"{name}: {item.n_bytes} bytes from {item.source}, sha256 {item.sha256}")
        fetched.append(item.__dict__)
    write_json({"mirrors": mirrors, "files": fetched}, snakemake.output.sources)
