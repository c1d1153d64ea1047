"""mnist-sgd-report: hand-coded minibatch SGD on MNIST, checked against frameworks.

The package is laid out like the pipeline (``workflow/rules/{data,train,report}.smk``):

- ``data/``      download, parse and cache MNIST (rule file ``data.smk``)
- ``train/``     the SGD algorithm, the backends, one run end to end, the least-squares
                 floor, the lr choice and the backend comparison (``train.smk``)
- ``report/``    tables, figures, comments, provenance and rendering (``report.smk``)

and, shared by all stages:

- ``config``     validate the config against its schema, fill in defaults
- ``grid``       the experiment grid (points and runs) derived from the config
- ``layout``     where every file lives (the only place a path is spelled out)
- ``atomic``     write outputs atomically (temporary file, then rename)
- ``job``        what every rule script does around its work (threads, log)
- ``cluster_resources``  suggest a cluster profile's set-resources from benchmark files
- ``code_deps``   the package modules a rule script imports (each rule's code digest)
- ``slurm_status``  stop a SLURM run at once where it could never see its jobs finish
"""
