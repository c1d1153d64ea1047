"""Security (issue 11, item 6), by reading the code: no pickle loading, no shell, autoescaped templates.

The same properties through the real workflow -- a hostile report title and author rendered as
text, HOME untouched -- are tested in tests/test_faults.py; which mirrors a download accepts in
tests/test_download.py.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT

#: The code that runs in the workflow or on its files (tests build their own data).
CODE = sorted(p for d in ("mnist_sgd", "scripts", "perf") for p in (REPO_ROOT / d).rglob("*.py"))
RULE_FILES = [REPO_ROOT / "Snakefile", *sorted((REPO_ROOT / "workflow" / "rules").glob("*.smk"))]
TEMPLATES = sorted((REPO_ROOT / "report" / "templates").glob("*.j2"))
#: Modules that deserialise arbitrary objects: never imported.
PICKLE_MODULES = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve", "marshal"}


def calls(tree: ast.AST):
    """(dotted name, call node) of every call, e.g. ("np.load", node)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            parts, f = [], node.func
            while isinstance(f, ast.Attribute):
                parts.append(f.attr)
                f = f.value
            if isinstance(f, ast.Name):
                parts.append(f.id)
            yield ".".join(reversed(parts)), node


def keyword(node: ast.Call, name: str):
    """The constant value of keyword argument ``name`` (missing: the string "<missing>")."""
    for kw in node.keywords:
        if kw.arg == name:
            return kw.value.value if isinstance(kw.value, ast.Constant) else "<not a constant>"
    return "<missing>"


def where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(REPO_ROOT)}:{node.lineno}"


@pytest.fixture(scope="module")
def trees():
    return {path: ast.parse(path.read_text(), str(path)) for path in CODE}


def test_no_file_is_loaded_with_pickles(trees):
    loads, problems = [], []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module.split(".")[0]]
            problems += [f"{where(path, node)}: imports {n}" for n in names if n in PICKLE_MODULES]
        for name, node in calls(tree):
            last = name.rsplit(".", 1)[-1]
            if name in ("np.load", "numpy.load") or name.endswith("format.read_array"):
                loads.append(where(path, node))
                if keyword(node, "allow_pickle") is not False:
                    problems.append(f"{where(path, node)}: {name} without allow_pickle=False")
            elif name == "torch.load" and keyword(node, "weights_only") is not True:
                problems.append(f"{where(path, node)}: torch.load without weights_only=True")
            elif last in ("read_pickle", "to_pickle", "loads") and name.split(".")[0] in ("pd", "pandas", "pickle"):
                problems.append(f"{where(path, node)}: {name}")
            elif name == "yaml.load" or name == "yaml.unsafe_load":
                problems.append(f"{where(path, node)}: {name} (use yaml.safe_load)")
            if keyword(node, "allow_pickle") is True:
                problems.append(f"{where(path, node)}: allow_pickle=True")
    assert len(loads) >= 3, f"the scan found only {loads}: is it still looking at the right code?"
    assert not problems, "\n".join(problems)


def test_no_python_code_starts_a_shell(trees):
    problems = []
    for path, tree in trees.items():
        for name, node in calls(tree):
            if name in ("os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput"):
                problems.append(f"{where(path, node)}: {name}")
            if name.startswith("subprocess.") and keyword(node, "shell") not in ("<missing>", False):
                problems.append(f"{where(path, node)}: {name} with shell=")
            if name.startswith("subprocess.") and node.args and not isinstance(node.args[0], ast.List):
                problems.append(f"{where(path, node)}: {name} with a command that is not a literal list")
    assert not problems, "\n".join(problems)


def rules(text: str) -> dict[str, list[str]]:
    """{rule name: its directives}, from a Snakefile's text."""
    out: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        if m := re.match(r"(?:local)?rule (\w+):", line):
            current = out.setdefault(m[1], [])
        elif current is not None and (m := re.match(r" {4}(\w+):", line)):
            current.append(m[1])
        elif line and not line.startswith((" ", "#")):
            current = None
    return out


def test_every_rule_runs_a_script_never_a_shell_command():
    """Config values reach jobs only as Python objects (``snakemake.params``/``config``), never
    interpolated into a command line: no rule has ``shell:``, ``run:`` or a wrapper."""
    found = {}
    for path in RULE_FILES:
        found |= rules(path.read_text())
    assert {"download_mnist", "build_arrays", "train", "render_report"} <= set(found)
    for name, directives in found.items():
        assert not {"shell", "run", "wrapper", "notebook", "cwl", "template_engine"} & set(directives), name
        assert "script" in directives or set(directives) <= {"input", "default_target", "localrule"}, name
    for path in RULE_FILES:
        assert not re.search(r"\bshell\(", path.read_text()), path


def test_report_templates_escape_every_value():
    from mnist_sgd.report.render import environment

    env = environment()
    assert env.autoescape is True
    for path in TEMPLATES:
        text = path.read_text()
        assert not re.search(r"\|\s*safe\b|autoescape\s+false", text), path  # no value let through raw
    html = env.from_string("<h1>{{ title }}</h1>").render(title='<script>alert(1)</script> "; rm -rf ~; echo "')
    assert html == "<h1>&lt;script&gt;alert(1)&lt;/script&gt; &#34;; rm -rf ~; echo &#34;</h1>"
