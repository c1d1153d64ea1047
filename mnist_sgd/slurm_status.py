"""Stop a SLURM run at its start where the executor could never see its jobs finish.

The SLURM executor plugin (snakemake-executor-plugin-slurm 2.8.0) learns the state of its
jobs from ``sacct`` (SLURM accounting) or ``squeue``. It uses ``squeue`` when told to
(``slurm-status-command: squeue``, as profiles/slurm does) and SLURM keeps finished jobs
visible long enough (``MinJobAge`` at least 3x ``slurm-init-seconds-before-status-checks``);
otherwise ``sacct``. On a cluster without accounting ``sacct`` fails, the plugin keeps
waiting for jobs that have long finished, and Snakemake hangs without a word.
:func:`check` (run by the workflow's ``onstart``) finds that case before the first job
is submitted and raises with the fix.
"""

from __future__ import annotations

import re
import shutil
import subprocess


class StatusCheckError(RuntimeError):
    """The SLURM executor would ask ``sacct``, and ``sacct`` cannot answer here."""


def min_job_age() -> int | None:
    """SLURM's ``MinJobAge`` in seconds (``scontrol show config``); None when unknown."""
    try:
        shown = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"^MinJobAge\s*=\s*(\d+)\s*(sec|s|seconds)?\s*$", shown.stdout, re.M)
    return int(found.group(1)) if found else None


def status_command_used(setting: str, init_seconds: int, min_age: int | None, sacct_available: bool) -> str:
    """The command the plugin (2.8.0) queries: ``squeue`` when set and MinJobAge allows it,
    else ``sacct`` when installed, else ``squeue``."""
    if setting == "squeue" and (min_age is None or min_age < 3 * init_seconds) and sacct_available:
        return "sacct"
    if setting == "sacct" and not sacct_available:
        return "squeue"
    return setting


def sacct_error() -> str | None:
    """Why ``sacct`` cannot list jobs here (its message), or None when it can."""
    try:
        shown = subprocess.run(
            ["sacct", "--noheader", "-X", "--format=JobIdRaw", "--starttime", "now"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if shown.returncode != 0:
        return (shown.stderr or shown.stdout).strip() or f"exit code {shown.returncode}"
    return None


def check(setting: str, init_seconds: int) -> None:
    """Raise :class:`StatusCheckError` if the plugin would query ``sacct`` and ``sacct`` fails.

    ``setting``: the plugin's ``status_command``; ``init_seconds``: its
    ``init_seconds_before_status_checks``.
    """
    age = min_job_age()
    used = status_command_used(setting, init_seconds, age, shutil.which("sacct") is not None)
    if used != "sacct":
        return
    error = sacct_error()
    if error is None:
        return
    lines = [
        f"SLURM accounting does not answer on this cluster (sacct: {error}), and the SLURM executor",
        "would ask sacct for the state of its jobs: Snakemake would wait forever for jobs that finished.",
    ]
    if setting != "squeue":
        lines.append(
            f"Fix: query squeue instead (slurm-status-command is {setting!r}): set `slurm-status-command: squeue` "
            "in profiles/slurm/profile.yaml, or pass --slurm-status-command squeue."
        )
    else:
        shown = "unknown" if age is None else f"{age} s"
        lines.append(
            f"Fix: squeue is set, but SLURM forgets finished jobs after MinJobAge ({shown}; "
            "`scontrol show config | grep MinJobAge`), less than 3x slurm-init-seconds-before-status-checks "
            f"({init_seconds} s), so the plugin falls back to sacct: pass "
            f"--slurm-init-seconds-before-status-checks {max(1, (age or 3) // 3)} (or set it in the profile), "
            "or ask the cluster's administrators for accounting (slurmdbd)."
        )
    raise StatusCheckError("\n".join(lines))
