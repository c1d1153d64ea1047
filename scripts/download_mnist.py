"""Rule download_mnist: fetch and verify one MNIST IDX file (wildcard ``name``)."""

from mnist_sgd.atomic import write_json
from mnist_sgd.data.download import MNIST_SHA256, fetch_verified, mirror_list, source_record
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    p, name = snakemake.params, snakemake.wildcards.name
    mirrors = mirror_list(p.mirrors, p.local_mirror)
    print(f"{name}: mirrors, in order:", *mirrors, sep="\n  ")
    item = fetch_verified(
        name, snakemake.output.file, mirrors, MNIST_SHA256[name], timeout=p.timeout, retries=p.retries
    )
    print(f"{name}: {item.n_bytes} bytes from {item.source}, sha256 {item.sha256}")
    write_json(source_record(item, mirrors), snakemake.output.source)
