"""The environment files agree with each other, with the running interpreter, and with the docs.

requirements.txt is the one list of pins; environment.yml installs it through pip (or, if it
ever lists packages itself, must list the same pins); the venv that runs these tests must
hold exactly those versions; setup/bootstrap.sh, .ci/run and the Makefile must parse,
and the README's quick-start commands must be Makefile targets.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO_ROOT / "requirements.txt"
ENVIRONMENT = REPO_ROOT / "environment.yml"

#: Packages whose installed version must equal the pin (torch: public version, no "+cpu").
KEY_PACKAGES = ["snakemake", "numpy", "tensorflow-cpu", "torch", "weasyprint", "matplotlib", "jinja2"]


def requirement_lines(text: str) -> list[str]:
    """The requirement lines of a requirements file: comments and blank lines dropped."""
    lines = (line.split(" #", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def pins(lines: list[str], where: str) -> dict[str, str]:
    """{canonical name: version} of ``name==version`` lines; any other form is an error."""
    pinned: dict[str, str] = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==" and "*" not in specs[0].version, (
            f"{where}: {line!r} is not pinned with a single '=='"
        )
        name = canonicalize_name(req.name)
        assert name not in pinned, f"{where}: {req.name} is listed twice"
        pinned[name] = specs[0].version
    return pinned


def requirements_pins() -> dict[str, str]:
    return pins(requirement_lines(REQUIREMENTS.read_text()), "requirements.txt")


def load_environment() -> dict:
    return yaml.safe_load(ENVIRONMENT.read_text())


def test_every_requirement_is_pinned_with_double_equals():
    lines = requirement_lines(REQUIREMENTS.read_text())
    assert lines, "requirements.txt lists no packages"
    for line in lines:
        assert not line.startswith("-"), f"requirements.txt: option line {line!r}; pins only"
    assert len(requirements_pins()) == len(lines)


def test_key_packages_are_in_requirements():
    missing = [name for name in KEY_PACKAGES if canonicalize_name(name) not in requirements_pins()]
    assert not missing, f"requirements.txt does not pin {missing}"


def test_environment_yml_pins_python_311_from_conda_forge():
    env = load_environment()
    assert env["name"] == "mnist-sgd-report"
    assert env["channels"] == ["conda-forge"]
    conda_deps = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    assert "python=3.11" in conda_deps, f"environment.yml must pin python=3.11, has {conda_deps}"
    assert "pip" in conda_deps, "environment.yml must install pip for its pip: section"


def test_environment_yml_and_requirements_agree():
    env = load_environment()
    pip_sections = [dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict) and "pip" in dep]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    pip_lines = [str(line).strip() for line in pip_sections[0]]
    includes = [line for line in pip_lines if re.match(r"^(-r|--requirement)[ =]", line)]
    if includes:
        # The pip section installs requirements.txt itself, so the pins agree by construction.
        assert pip_lines == includes, f"environment.yml: pins beside the -r include: {pip_lines}"
        targets = [(ENVIRONMENT.parent / re.split(r"[ =]", line, maxsplit=1)[1].strip()).resolve() for line in includes]
        assert targets == [REQUIREMENTS.resolve()], f"environment.yml includes {targets}, not requirements.txt"
    else:
        env_pins = pins(pip_lines, "environment.yml")
        # torch's CPU build on conda-forge is named pytorch-cpu; accept it for torch.
        for dep in env["dependencies"]:
            if isinstance(dep, str) and "=" in dep and not dep.startswith("python="):
                name, version = re.split(r"=+", dep, maxsplit=1)
                name = "torch" if name in ("pytorch", "pytorch-cpu") else name
                env_pins[canonicalize_name(name)] = version
        assert env_pins == requirements_pins()


@pytest.mark.parametrize("package", KEY_PACKAGES)
def test_installed_version_matches_pin(package):
    pinned = requirements_pins()[canonicalize_name(package)]
    try:
        installed = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{package} is not installed in {sys.prefix}; run `bash setup/bootstrap.sh`")
    assert Version(installed).public == Version(pinned).public, (
        f"{package} {installed} installed in {sys.prefix}, requirements.txt pins {pinned}; "
        "run `bash setup/bootstrap.sh` (it reinstalls when requirements.txt changes)"
    )


def test_running_python_is_a_supported_one():
    """The versions setup/bootstrap.sh accepts (SUPPORTED_PYTHONS), and no other."""
    bootstrap = (REPO_ROOT / "setup" / "bootstrap.sh").read_text()
    supported = re.search(r"^SUPPORTED_PYTHONS=\(([^)]*)\)", bootstrap, re.M).group(1).split()
    assert supported == ["3.13", "3.12", "3.11"]
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert running in supported, f"tests run on Python {running}; setup/bootstrap.sh supports {supported}"


@pytest.mark.process
@pytest.mark.parametrize("script", ["setup/bootstrap.sh", ".ci/run"])
def test_shell_scripts_parse(script):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not found")
    result = subprocess.run([bash, "-n", str(REPO_ROOT / script)], capture_output=True, text=True)
    assert result.returncode == 0, f"bash -n {script}: {result.stderr}"


def quick_start_commands() -> list[str]:
    """The commands in the first code block of the README's "Quick start" section."""
    readme = (REPO_ROOT / "README.md").read_text()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    block = re.search(r"```[a-z]*\n(.*?)```", section.group(1), re.S)
    assert block, "README.md's Quick start has no code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.split("#", 1)[0].strip()]


def test_readme_quick_start_is_make_report_and_make_test():
    assert quick_start_commands() == ["make report", "make test"]


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*make test\b", ci, re.M), ".ci/run must run `make test`, the README's test command"


@pytest.mark.process
@pytest.mark.parametrize("target", ["help", "bootstrap", "report", "quick", "test", "lint", "bench", "clean"])
def test_makefile_has_target(target):
    make = shutil.which("make")
    if make is None:
        pytest.skip("make not found")
    result = subprocess.run([make, "-n", "-C", str(REPO_ROOT), target], capture_output=True, text=True)
    assert result.returncode == 0, f"make -n {target}: {result.stderr}"


def test_configuration_table_matches_the_schema_defaults():
    """Every key of the configuration table (docs/configuration.md) exists in the schema, and a default written
    as a single YAML value (e.g. `3`, `[0]`, `null`) is the schema's default."""
    schema = yaml.safe_load((REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    readme = (REPO_ROOT / "docs" / "configuration.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+\.[a-z_0-9]+)`(?:, `[a-z_.0-9]+`)* \| ([^|]*) \|", readme, re.M)
    assert len(rows) >= 15, "docs/configuration.md's configuration table was not found"
    checked = 0
    for key, written in rows:
        section, name = key.split(".")
        prop = schema["properties"][section]["properties"].get(name)
        assert prop is not None, f"docs/configuration.md documents {key}, which the schema does not have"
        value = re.fullmatch(r"`([^`]*)`", written.strip())
        if value:
            assert yaml.safe_load(value.group(1)) == prop.get("default"), (
                f"docs/configuration.md: {key} defaults to {written}"
            )
            checked += 1
    assert checked >= 15


# ---- per-stage conda environments (workflow/envs/, snakemake --sdm conda) -----------------

ENV_DIR = REPO_ROOT / "workflow" / "envs"
#: Distribution of an imported top-level name, where the two differ (markupsafe comes with jinja2).
DISTRIBUTION = {"yaml": "pyyaml", "tensorflow": "tensorflow-cpu", "markupsafe": "jinja2"}


def stage_env(path: Path) -> dict[str, str]:
    """{distribution: version} of a stage env's pip section, after checking its conda part."""
    env = yaml.safe_load(path.read_text())
    assert env["channels"] == ["conda-forge"], path.name
    conda_deps = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    assert "python=3.11" in conda_deps and "pip" in conda_deps, f"{path.name}: {conda_deps}"
    pip_sections = [dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict)]
    assert len(pip_sections) == 1, path.name
    return pins([str(line) for line in pip_sections[0]], path.name)


def rule_envs() -> dict[str, list[str]]:
    """{rule: the env files it may use}; the training rules choose by backend (training_env)."""
    from test_code_digests import rule_blocks

    common = (REPO_ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert 'return "../envs/numpy.yaml" if wildcards.backend == grid.NUMPY else "../envs/frameworks.yaml"' in common
    envs = {}
    for rule, block in rule_blocks().items():
        found = re.search(r"\n    conda:\n        (\S+)\n", block)
        assert found, f"rule {rule} declares no conda environment"
        value = found.group(1)
        envs[rule] = ["numpy.yaml", "frameworks.yaml"] if value == "training_env" else [value.strip('"')]
        assert value == "training_env" or value.startswith('"../envs/'), f"rule {rule}: conda {value}"
    return {rule: [Path(e).name for e in files] for rule, files in envs.items()}


def imported_distributions(script: str, extra: tuple[str, ...] = ()) -> set[str]:
    """Distributions of the third-party packages a script's code imports (code_deps closure)."""
    import ast

    from mnist_sgd.code_deps import code_files

    names = set()
    for path in code_files(REPO_ROOT, script, extra):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    third_party = {n for n in names if n not in sys.stdlib_module_names and n != "mnist_sgd"}
    return {canonicalize_name(DISTRIBUTION.get(n, n)) for n in third_party}


def test_stage_envs_pin_the_versions_of_requirements_txt():
    files = sorted(ENV_DIR.glob("*.yaml"))
    assert [f.name for f in files] == ["frameworks.yaml", "numpy.yaml", "report.yaml"]
    required = requirements_pins()
    for path in files:
        for name, version in stage_env(path).items():
            assert required.get(name) == version, (
                f"{path.name}: {name}=={version}, requirements.txt: {required.get(name)}"
            )
    report = yaml.safe_load((ENV_DIR / "report.yaml").read_text())
    assert "pango" in report["dependencies"], "WeasyPrint needs Pango from conda-forge"


def test_each_rule_env_holds_what_its_code_imports_and_no_env_holds_more():
    """Every rule's env has each package its script's code imports (training: per backend), and
    each env's packages are all needed by some rule that uses it: the smallest env per rule."""
    from test_code_digests import rule_scripts

    from mnist_sgd import grid

    scripts, envs = rule_scripts(), rule_envs()
    assert set(envs) == set(scripts)
    needed_by_env: dict[str, set[str]] = {}
    for rule, script in scripts.items():
        if script == "scripts/train.py":  # one env per backend
            needs = [
                (
                    "numpy.yaml" if b == grid.NUMPY else "frameworks.yaml",
                    imported_distributions(script, (f"mnist_sgd.train.backends.{b}_backend",)),
                )
                for b in grid.BACKENDS
            ]
        elif script == "scripts/render_report.py":  # the section modules are imported by name
            from mnist_sgd.report.sections import TITLES

            sections = tuple(f"mnist_sgd.report.sections.{name}" for name in TITLES)
            needs = [(envs[rule][0], imported_distributions(script, sections))]
        else:
            needs = [(envs[rule][0], imported_distributions(script))]
        for env, distributions in needs:
            held = set(stage_env(ENV_DIR / env))
            assert distributions <= held, f"rule {rule} imports {sorted(distributions - held)}, not in {env}"
            needed_by_env.setdefault(env, set()).update(distributions)
    for env, needed in needed_by_env.items():
        assert set(stage_env(ENV_DIR / env)) == needed, f"{env} holds packages no rule using it imports"
