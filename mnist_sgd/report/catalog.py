"""The report's figures: which ones a config yields, their captions, and their place in
Snakemake's own report. (Importable without Matplotlib: the rules read it at parse time.)"""

from __future__ import annotations

BATCH_FIGURE_PREFIX = "batch_b"


def batch_figure(batch_size: int) -> str:
    """Name of the question-3 figure of one batch size."""
    return f"{BATCH_FIGURE_PREFIX}{batch_size}"


def figure_names(config: dict) -> list[str]:
    """Base names (no .svg) of every figure the config yields, in report order."""
    names = [batch_figure(b) for b in config["grid"]["batch_sizes"]]
    if config["grid"]["batch_sizes"]:
        names += ["batch_tradeoff", "lr_sweep"]
    if config["grid"]["subset_sizes"]:
        names += ["subset_size"]
    if config["frameworks"]["backends"]:
        names += ["backends"]
    return names


def caption_name(figure: str) -> str:
    """The caption a figure uses (every per-B figure shares one)."""
    return "batch" if figure.startswith(BATCH_FIGURE_PREFIX) else figure


def snakemake_report_entry(figure: str) -> dict:
    """Category, subcategory and labels of a figure in Snakemake's report."""
    if figure.startswith(BATCH_FIGURE_PREFIX):
        labels = {"figure": "loss and accuracy per epoch", "B": figure.removeprefix(BATCH_FIGURE_PREFIX)}
    else:
        labels = {"figure": figure.replace("_", " "), "B": "all"}
    if figure.startswith("batch") or figure == "lr_sweep":
        sub = "question 3: batch size"
    else:
        sub = "question 5: training-set size" if figure == "subset_size" else "question 6: framework check"
    return {"category": "Figures", "subcategory": sub, "labels": labels}
