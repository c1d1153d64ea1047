"""Stage 3 (``workflow/rules/report.smk``): from run outputs to the assignment report.

- ``tables``          every run's outputs as tidy CSV tables (rule ``aggregate``);
                      ``lr_choice_table`` one of them; ``run_notes`` what happened in each run
- ``job_costs``       Snakemake's benchmark files: wall time and memory per job
- ``paired``          McNemar tests of models on the same images, from saved weights (rule ``paired_tests``)
- ``stats``           Wilson intervals, McNemar's test, seed spread
- ``queries``         the questions the report asks of the tables
- ``catalog``         which figures a config yields, their captions and report entries
- ``plotting``        the figures' house style and drawing helpers
- ``figures``         the report's figures (rule ``figures``); ``batch_figures`` those of question 3
- ``formats``         the number formats of the report's tables and text
- ``table_rows``      the rows of the report's HTML tables
- ``evidence``        the measured numbers behind each explanation
- ``commentary``      the comment on the batch size; ``lr_commentary`` its part on learning rates;
                      ``subset_commentary`` the comment on N′; ``brackets`` the lr brackets
- ``proofread``       the checks a strict reader applies to the report's text (used by the tests)
- ``provenance``      config, code version, software, data, machine (rule ``provenance``)
- ``render``          HTML and PDF from the Jinja templates (rule ``render_report``)
"""
