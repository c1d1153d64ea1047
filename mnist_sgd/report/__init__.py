"""Stage 3 (``workflow/rules/report.smk``): from run outputs to the assignment report.

- ``tables``       every run's outputs as tidy CSV tables (rule ``aggregate``)
- ``job_costs``    Snakemake's benchmark files: wall time and memory per job
- ``queries``      the questions the report asks of the tables
- ``catalog``      which figures a config yields, their captions and report entries
- ``plotting``     the figures' house style and drawing helpers
- ``figures``      the report's figures (rule ``figures``); ``batch_figures`` those of question 3
- ``formats``      the number formats of the report's tables and text
- ``table_rows``   the rows of the report's HTML tables
- ``commentary``   the comments, written from the measured numbers
- ``provenance``   config, code version, software, data, machine (rule ``provenance``)
- ``render``       HTML and PDF from the Jinja templates (rule ``render_report``)
"""
