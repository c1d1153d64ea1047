"""Stage 3 (``workflow/rules/report.smk``): from the aggregated tables to the assignment report.

- ``sections``   one module per section of the report (data, sgd, batch_size,
                 training_set_size, frameworks, appendix): its facts and claims; its words are
                 in ``report/templates/sections/<name>.html.j2``
- ``claims``     a checked statement and the register of a section's claims
- ``queries``    what the report asks of its inputs (runs at a chosen lr, floors, lr choices)
- ``formats``    the one number format of each quantity
- ``render``     HTML and PDF from the templates (rule ``render_report``)
- ``catalog``    which figures a config yields, their captions and Snakemake report entries
- ``figures``    the figures (rule ``figures``); ``batch_figures`` those of the batch-size
                 section; ``plotting`` their house style

Aggregation (tables from runs, paired tests) is :mod:`mnist_sgd.aggregate`.
"""
