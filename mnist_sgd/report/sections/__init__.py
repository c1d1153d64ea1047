"""One module per section of the report, named as the report names the section.

Each module has ``facts(inputs) -> dict``: the section's numbers (formatted for print), its
table rows, and its :class:`~mnist_sgd.report.claims.Claims`. Its words, tables and captions
are in the template of the same name, ``report/templates/sections/<name>.html.j2``.
"""

#: Section id -> title, in report order (ids are the module and template names).
TITLES = {
    "data": "1 Data",
    "sgd": "2 Minibatch SGD, hand-coded",
    "batch_size": "3 The batch size",
    "training_set_size": "4 The training-set size",
    "frameworks": "5 The framework check",
    "appendix": "Appendix",
}
