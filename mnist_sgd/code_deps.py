"""The package modules a rule script runs, found from its imports (for each rule's code digest).

A rule's ``params.code`` is a digest of its script and of every module of ``mnist_sgd`` that
the script imports, directly or through other modules (workflow/rules/common.smk): Snakemake
reruns a job whose params changed, so a change in one of those files reruns exactly the jobs
that run it. The imports are read with :mod:`ast`, nothing is executed:

- ``import a.b.c`` and ``from a.b import c`` (``c`` a module or a name), relative imports,
  and ``importlib.import_module("a.b")`` with a literal name; with a computed name such as
  ``import_module(f"a.b.{name}")``, every module the name can be (``a.b.*``);
- importing ``a.b.c`` runs ``a/__init__.py`` and ``a/b/__init__.py`` too: they count;
- imports inside functions count (they may run); those under ``if TYPE_CHECKING:`` do not.

A module whose name is computed elsewhere and passed in (the training backends) is not seen:
the rule names it (``extra`` of :func:`code_files`).
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

PACKAGE = "mnist_sgd"


def module_file(root: Path, name: str) -> Path | None:
    """``mnist_sgd.train.textbook`` -> ``root/mnist_sgd/train/textbook.py`` (a package: its ``__init__.py``);
    None for a name outside the package or not a module (a function, a class)."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def module_name(root: Path, path: Path) -> str | None:
    """The dotted name of a module file of the package under ``root``; None for a script."""
    try:
        parts = list(path.relative_to(root).with_suffix("").parts)
    except ValueError:
        return None
    if not parts or parts[0] != PACKAGE:
        return None
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree``, leaving out the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _absolute(node: ast.ImportFrom, importer: str | None, is_package: bool) -> str | None:
    """The absolute module of ``from <node.module> import ...`` written in module ``importer``."""
    if node.level == 0:
        return node.module
    if importer is None:  # a relative import in a script: not ours to resolve
        return None
    parts = importer.split(".")
    if not is_package:
        parts = parts[:-1]
    if node.level > 1:
        parts = parts[: len(parts) - (node.level - 1)]
    return ".".join(parts + ([node.module] if node.module else []))


def imported_names(path: Path, importer: str | None = None) -> set[str]:
    """Dotted names ``path`` imports (each with its parent packages); a name after ``from x
    import`` is listed as ``x.name`` too, since it may be a submodule."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, importer, path.name == "__init__.py")
            if base:
                found.add(base)
                found |= {f"{base}.{alias.name}" for alias in node.names}
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id) == "import_module"
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
            elif isinstance(arg, ast.JoinedStr):  # f"a.b.{name}": a pattern, "a.b.*"
                found.add("".join(v.value if isinstance(v, ast.Constant) else "*" for v in arg.values))
    with_parents = set()
    for name in found:
        parts = name.split(".")
        if "*" in name:  # the pattern, and the literal packages before it
            with_parents.add(name)
            parts = parts[: next(i for i, part in enumerate(parts) if "*" in part)]
        with_parents |= {".".join(parts[: i + 1]) for i in range(len(parts))}
    return with_parents


def package_modules(root: Path) -> dict[str, Path]:
    """{dotted name: file} of every module of the package under ``root``."""
    files = sorted((root / PACKAGE).rglob("*.py"))
    return {name: f for f in files if (name := module_name(root, f))}


def code_files(root: str | Path, script: str | Path, extra: Iterable[str] = ()) -> list[Path]:
    """The script and every package module it runs (see the module docstring), sorted, as
    paths under ``root``; ``extra``: dotted names of modules it imports by computed name."""
    root = Path(root)
    script = root / script
    seen: set[Path] = set()
    todo: list[tuple[Path, str | None]] = [(script, None)]
    for name in extra:  # the module and its parent packages
        parts = name.split(".")
        todo += [(f, n) for i in range(len(parts)) if (f := module_file(root, n := ".".join(parts[: i + 1])))]
    while todo:
        path, name = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for imported in imported_names(path, name if path != script else None):
            if "*" in imported:
                matches = [f for n, f in package_modules(root).items() if fnmatch.fnmatchcase(n, imported)]
            else:
                matches = [f] if (f := module_file(root, imported)) else []
            todo += [(f, module_name(root, f)) for f in matches if f not in seen]
    return sorted(seen)


def digest(root: str | Path, files: Iterable[Path]) -> str:
    """SHA-256 (16 hex digits) of the files' paths relative to ``root`` and their bytes."""
    root = Path(root)
    h = hashlib.sha256()
    for path in sorted(set(files)):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]
