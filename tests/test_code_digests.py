"""Each rule's code digest covers its script and exactly the package modules the script imports.

The imports are found statically (mnist_sgd/code_deps.py); the checks compare them with the
modules a fresh interpreter really loads when it runs a script's imports, and, through the
real Snakemake on a tiny build in a copy of the repository, change one file at a time and
ask ``snakemake --summary`` which outputs now have changed params: exactly those of the rules
whose script imports that file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT, mirror_environment, snakemake_command
from mnist_sgd import grid
from mnist_sgd.code_deps import code_files, digest

RULE_FILES = sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk"))


def rule_blocks() -> dict[str, str]:
    """{rule name: its text} of every rule and checkpoint in workflow/rules/."""
    blocks = {}
    for path in RULE_FILES:
        for block in re.split(r"(?m)^(?=(?:rule|checkpoint) \w+:)", path.read_text()):
            found = re.match(r"(?:rule|checkpoint) (\w+):", block)
            if found:
                blocks[found.group(1)] = block
    return blocks


def rule_scripts() -> dict[str, str]:
    """{rule: its script, relative to the repository} of every rule with ``script:``."""
    scripts = {}
    for rule, block in rule_blocks().items():
        found = re.search(r'script:\n\s+"\.\./\.\./(scripts/\w+\.py)"', block)
        if found:
            scripts[rule] = found.group(1)
    return scripts


# ---- the static import graph ------------------------------------------------------------


def test_every_rule_digests_its_own_script():
    """Each rule's params.code is code_digest of the script it runs (the training rules through
    training_code, which adds the run's backend); only the download has none."""
    blocks, scripts = rule_blocks(), rule_scripts()
    assert len(scripts) >= 14
    for rule, script in scripts.items():
        if rule == "download_mnist":  # its output is pinned by SHA-256 (see data.smk)
            assert "code=" not in blocks[rule]
        elif script == "scripts/train.py":
            assert "**TRAINING_PARAMS" in blocks[rule], rule
        else:
            assert f'code=code_digest(\n            "{script}"' in blocks[rule] or (
                f'code=code_digest("{script}")' in blocks[rule]
            ), f"rule {rule}: params.code must be code_digest({script!r})"
    common = (REPO_ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert 'code_digest("scripts/train.py", (f"mnist_sgd.train.backends.{wildcards.backend}_backend",))' in common


def test_backend_modules_are_named_as_the_training_digest_assumes():
    from mnist_sgd.train.backends import MODULES

    assert {b: f"mnist_sgd.train.backends.{b}_backend" for b in grid.BACKENDS} == MODULES
    for module in MODULES.values():
        assert (REPO_ROOT / (module.replace(".", "/") + ".py")).is_file(), module


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_import_forms_on_a_small_package(tmp_path):
    """Absolute, relative, function-level and import_module imports (a computed name: every
    module it can be) count, with the packages they run; TYPE_CHECKING imports, other
    packages and unused modules do not."""
    write(tmp_path, "mnist_sgd/__init__.py", "")
    write(tmp_path, "mnist_sgd/a/__init__.py", "")
    write(tmp_path, "mnist_sgd/a/one.py", "from . import two\nfrom ..b.three import f\n")
    write(tmp_path, "mnist_sgd/a/two.py", "import numpy as np\n")
    write(tmp_path, "mnist_sgd/b/__init__.py", "from .four import g\n")
    write(tmp_path, "mnist_sgd/b/three.py", "def f():\n    from mnist_sgd.c import lazy\n")
    write(
        tmp_path, "mnist_sgd/b/four.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mnist_sgd.d\n"
    )
    write(tmp_path, "mnist_sgd/c/__init__.py", "")
    write(tmp_path, "mnist_sgd/c/lazy.py", "import importlib\nimportlib.import_module('mnist_sgd.e')\n")
    write(
        tmp_path,
        "mnist_sgd/e.py",
        "from importlib import import_module\nfor n in 'xy':\n    import_module(f'mnist_sgd.f.{n}')\n",
    )
    write(tmp_path, "mnist_sgd/f/__init__.py", "")
    write(tmp_path, "mnist_sgd/f/x.py", "")
    write(tmp_path, "mnist_sgd/f/y.py", "")
    write(tmp_path, "mnist_sgd/d.py", "")
    write(tmp_path, "mnist_sgd/unused.py", "")
    write(tmp_path, "mnist_sgd/dyn.py", "")
    write(tmp_path, "scripts/job.py", "from mnist_sgd.a.one import something\n")
    found = {str(p.relative_to(tmp_path)) for p in code_files(tmp_path, "scripts/job.py")}
    assert found == {
        "scripts/job.py",
        "mnist_sgd/__init__.py",
        "mnist_sgd/a/__init__.py",
        "mnist_sgd/a/one.py",
        "mnist_sgd/a/two.py",
        "mnist_sgd/b/__init__.py",
        "mnist_sgd/b/three.py",
        "mnist_sgd/b/four.py",
        "mnist_sgd/c/__init__.py",
        "mnist_sgd/c/lazy.py",
        "mnist_sgd/e.py",
        # imported by a computed name under mnist_sgd.f: every module it can be
        "mnist_sgd/f/__init__.py",
        "mnist_sgd/f/x.py",
        "mnist_sgd/f/y.py",
    }
    with_dyn = {str(p.relative_to(tmp_path)) for p in code_files(tmp_path, "scripts/job.py", ["mnist_sgd.dyn"])}
    assert with_dyn == found | {"mnist_sgd/dyn.py"}
    before = digest(tmp_path, code_files(tmp_path, "scripts/job.py"))
    write(tmp_path, "mnist_sgd/unused.py", "x = 1\n")
    assert digest(tmp_path, code_files(tmp_path, "scripts/job.py")) == before
    write(tmp_path, "mnist_sgd/f/y.py", "x = 1\n")
    assert digest(tmp_path, code_files(tmp_path, "scripts/job.py")) != before


#: Runs a script's module-level imports in a fresh interpreter and prints the package modules
#: it then has loaded (files relative to the repository).
LOADED = """
import ast, json, sys
from pathlib import Path
script, root = Path(sys.argv[1]), Path(sys.argv[2])
sys.path.insert(0, str(root))
for node in ast.parse(script.read_text()).body:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        exec(compile(ast.Module([node], []), str(script), "exec"), {})
files = {Path(m.__file__).resolve().relative_to(root) for n, m in list(sys.modules.items())
         if n.split(".")[0] == "mnist_sgd" and getattr(m, "__file__", None)}
print(json.dumps(sorted(map(str, files))))
"""


def loaded_modules(script: str, root: Path = REPO_ROOT) -> set[str]:
    shown = subprocess.run(
        [sys.executable, "-c", LOADED, str(root / script), str(root)], capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    return set(json.loads(shown.stdout))


@pytest.fixture(scope="module")
def loaded_by_script() -> dict[str, set[str]]:
    return {script: loaded_modules(script) for script in sorted(set(rule_scripts().values()))}


@pytest.mark.process
def test_static_imports_cover_what_each_script_loads(loaded_by_script):
    """Every module a script's imports load is found statically; a module found statically
    but not loaded is imported inside a function (it may run later in the job), or by a name
    computed at run time (``import_module(f"package.{name}")``: every module it can be)."""
    for script, loaded in loaded_by_script.items():
        found = {str(p.relative_to(REPO_ROOT)) for p in code_files(REPO_ROOT, script)} - {script}
        assert loaded <= found, f"{script}: loaded but not found: {sorted(loaded - found)}"
        texts = {f: (REPO_ROOT / f).read_text() for f in found | {script}}
        computed = {prefix for text in texts.values() for prefix in re.findall(r'import_module\(f"([\w.]+)\{', text)}
        # the modules imported at run time (in a function, by a computed name), then what they import
        extras = found - loaded
        names = {f: f.removesuffix(".py").removesuffix("/__init__").replace("/", ".") for f in extras}
        explained = set()
        for f, name in names.items():
            in_function = re.compile(rf"^\s+(from|import) {re.escape(name)}\b", re.M)
            if any(in_function.search(text) for text in texts.values()) or any(
                (name + ".").startswith(prefix) for prefix in computed
            ):
                explained.add(f)

        def imports(text: str, name: str) -> bool:  # `import a.b.c`, `from a.b.c import x`, `from a.b import c`
            parent, _, leaf = name.rpartition(".")
            return bool(
                re.search(rf"^\s*(from|import) {re.escape(name)}\b", text, re.M)
                or re.search(rf"^\s*from {re.escape(parent)} import [^\n]*\b{leaf}\b", text, re.M)
            )

        while True:
            imported = {f for f, name in names.items() if any(imports(texts[g], name) for g in explained)}
            if imported <= explained:
                break
            explained |= imported
        assert explained == extras, f"{script}: found statically, imported at run time by nothing: {extras - explained}"


# ---- the real Snakemake: change one file, see which rules' params changed --------------------

TINY = {
    "data": {"n_train": 2000, "n_val": 1000},
    "training": {"epochs": 2, "seeds": [0]},
    "grid": {"batch_sizes": [100], "subset_sizes": [500], "subset_batch_size": 100, "learning_rates": [0.01, 0.1]},
    "frameworks": {"backends": []},
    "lr_search": {"max_rounds": 0, "last_epochs": 1},
}
#: What the workflow needs of the repository (scripts/mnist_sgd is a link: copied as a link).
COPIED = [
    "Snakefile",
    "config.yaml",
    "environment.yml",
    "config",
    "mnist_sgd",
    "profiles",
    "report",
    "scripts",
    "workflow",
]


@pytest.fixture(scope="module")
def built_copy(tmp_path_factory):
    """(copy of the repository, workdir with the tiny grid built from that copy)."""
    base = tmp_path_factory.mktemp("digests")
    repo, work = base / "repo", base / "work"
    repo.mkdir()
    work.mkdir()
    for name in COPIED:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo / name)
    build = subprocess.run(
        snakemake_command(work, TINY, "--cores", "2", snakefile=repo / "Snakefile"),
        env=mirror_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return repo, work


def rules_with_changed_params(repo: Path, work: Path) -> set[str]:
    """Rules with an output whose params changed since it was made (``snakemake --summary``)."""
    summary = subprocess.run(
        snakemake_command(work, TINY, "--summary", snakefile=repo / "Snakefile"),
        env=mirror_environment(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert summary.returncode == 0, summary.stderr[-3000:]
    rows = [line.split("\t") for line in summary.stdout.splitlines() if "\t" in line]
    header = rows[0]
    assert header[:6] == ["output_file", "date", "rule", "log-file(s)", "status", "plan"], header
    return {row[2] for row in rows[1:] if row[4] == "params changed"}


def recorded_params(work: Path) -> dict[str, set[tuple[str, ...]]]:
    """{rule: the params Snakemake recorded for its outputs} (.snakemake/metadata, one JSON per output)."""
    recorded: dict[str, set[tuple[str, ...]]] = {}
    for path in (work / ".snakemake" / "metadata").iterdir():
        record = json.loads(path.read_text())
        recorded.setdefault(record["rule"], set()).add(tuple(record["params"]))
    return recorded


def changed(path: Path) -> bytes:
    """Append a comment to a module or stylesheet; returns the original bytes."""
    original = path.read_bytes()
    path.write_bytes(original + (b"\n/* changed */\n" if path.suffix == ".css" else b"\n# changed\n"))
    return original


@pytest.mark.process
def test_a_changed_file_reruns_exactly_the_rules_that_run_it(built_copy, loaded_by_script):
    repo, work = built_copy
    scripts = rule_scripts()

    def importers(module: str) -> set[str]:
        out = {rule for rule, script in scripts.items() if module in loaded_by_script[script]}
        # render_report imports the report's section modules by name when it renders
        from mnist_sgd.report.sections import TITLES

        sections = tuple(f"mnist_sgd.report.sections.{name}" for name in TITLES)
        render = "scripts/render_report.py"
        if module in {str(p.relative_to(REPO_ROOT)) for p in code_files(REPO_ROOT, render, sections)}:
            out |= {rule for rule, script in scripts.items() if script == render}
        return out

    in_build = set(recorded_params(work))  # the rules with outputs in the tiny build
    assert {"train_grid", "least_squares_floor", "lr_search_round", "render_report"} <= in_build
    assert rules_with_changed_params(repo, work) == set()

    # Files no other rule of the build imports: `snakemake --summary` names the rules whose
    # params changed (a rule after one that reruns shows "updated input files" instead).
    leaves = {
        # the NumPy backend, imported by name when a NumPy run starts
        "mnist_sgd/train/backends/numpy_backend.py": {"train", "train_grid"},
        # a backend the tiny grid does not train
        "mnist_sgd/train/backends/tensorflow_backend.py": set(),
        # the report's stylesheet, read by render_report only
        "report/report.css": {"render_report"},
    }
    for name, expected in leaves.items():
        original = changed(repo / name)
        try:
            assert rules_with_changed_params(repo, work) == expected & in_build, name
        finally:
            (repo / name).write_bytes(original)
    assert rules_with_changed_params(repo, work) == set()

    # A module deep in the training code, imported through others by the training and floor
    # scripts: rerun the build and compare the params Snakemake recorded before and after.
    # Every job after a retrained run reruns too; only the importers' params change. The
    # module: of those under mnist_sgd/train/ that the training and floor scripts import and no
    # script imports only at run time (which the loaded modules would not show), the one the
    # most rules import.
    def static_importers(module: str) -> set[str]:
        return {
            r for r, s in scripts.items() if module in {str(p.relative_to(REPO_ROOT)) for p in code_files(REPO_ROOT, s)}
        }

    candidates = [str(p.relative_to(REPO_ROOT)) for p in sorted((REPO_ROOT / "mnist_sgd" / "train").glob("[!_]*.py"))]
    training = {"train_grid", "least_squares_floor"}
    agreeing = [m for m in candidates if importers(m) == static_importers(m) and training <= importers(m)]
    module = max(agreeing, key=lambda m: (len(importers(m) & in_build), m))
    expected = importers(module)
    assert expected >= training, (module, expected)
    before = recorded_params(work)
    logs = {p: p.stat().st_mtime_ns for p in (work / "logs").rglob("*.log")}
    changed(repo / module)
    rerun = subprocess.run(
        snakemake_command(work, TINY, "--cores", "2", snakefile=repo / "Snakefile"),
        env=mirror_environment(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    after = recorded_params(work)
    assert {rule for rule in after if after[rule] != before.get(rule)} == expected & in_build
    # jobs ran (their logs were written) also for rules whose params stayed
    reran = {p.relative_to(work / "logs").parts[0] for p, t in logs.items() if p.stat().st_mtime_ns != t}
    assert reran - expected, f"only importers reran: {sorted(reran)}"
