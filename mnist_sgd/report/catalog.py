"""The report's figures: which ones a config yields, their captions, and their place in
Snakemake's own report. (Importable without Matplotlib: the rules read it at parse time.)"""

from __future__ import annotations

#: Questions 3 and 4 (batch size), in report order.
BATCH_FIGURES = ("lr_choice", "batch_curves", "lr_over_b", "step_time")
SUBSET_FIGURES = ("subset_size",)
FRAMEWORK_FIGURES = ("backends",)

_SUBCATEGORY = {
    **dict.fromkeys(BATCH_FIGURES, "question 3: batch size"),
    **dict.fromkeys(SUBSET_FIGURES, "question 5: training-set size"),
    **dict.fromkeys(FRAMEWORK_FIGURES, "question 6: framework check"),
}
_LABELS = {
    "lr_choice": "learning-rate choice per B",
    "batch_curves": "loss and accuracy per epoch at the chosen lrs",
    "lr_over_b": "final loss against lr/B",
    "step_time": "time per epoch, update and example",
    "subset_size": "accuracy and least-squares solution against N′",
    "backends": "NumPy against the frameworks",
}


def figure_names(config: dict) -> list[str]:
    """Base names (no .svg) of every figure the config yields, in report order."""
    names = list(BATCH_FIGURES) if config["grid"]["batch_sizes"] else []
    if config["grid"]["subset_sizes"]:
        names += SUBSET_FIGURES
    if config["frameworks"]["backends"]:
        names += FRAMEWORK_FIGURES
    return names


def caption_name(figure: str) -> str:
    """The caption a figure uses (report/captions/<name>.rst): its own."""
    return figure


def snakemake_report_entry(figure: str) -> dict:
    """Category, subcategory and labels of a figure in Snakemake's report."""
    return {
        "category": "Figures",
        "subcategory": _SUBCATEGORY[figure],
        "labels": {"figure": _LABELS[figure]},
    }
