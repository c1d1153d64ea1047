"""No number typed by hand: digits left in the report templates' prose once the filled-in values,
the markup and the styles are taken out.

A number in the report's words must come from the config or the results (a fact the section
module computes), so that it cannot go stale when either changes. What remains after
stripping Jinja (``{{ … }}``, ``{% … %}``, ``{# … #}``), HTML tags with their attributes,
``<style>`` and entities is the prose; each digit in it is an error unless it belongs to a
token of :data:`ALLOWED`, the short list of names and notation that contain digits without
being a result.

Run as ``python -m mnist_sgd.report.number_lint`` (``make lint``): it prints each offending
digit with its file, line and context, and exits 1 if there is any.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mnist_sgd import layout

#: Tokens with digits that are not numbers of the experiment, each with why it may be typed.
ALLOWED = {
    r"SHA-256|A4": "the names of a hash function and of a paper size",
    r"float(?:32|64)": "dtype names",
    r"Questions? [1-6](?: and [1-6])?|section [1-6]": "the assignment's question numbers, the report's section numbers",
    r"95 %": "the level of every interval, fixed with the method (stats.Z95), not a setting or a result",
    r"1/\(2n\)|\(1 − lr·λ\)|lr·λ\s+2|[12]/(?=\s|λ|t\b|mean)|L\* = 0|\[0, 1\]": "notation: the loss, the stability "
    "condition and limits, an exact fit's zero loss, the unit interval",
}
_ALLOWED = re.compile("|".join(f"(?:{p})" for p in ALLOWED))

#: Jinja markup: comments, filled-in values and statements. Their string literals are prose
#: too (a caption passed to a macro) and are read; format specs ("%.1f"), escapes and template
#: names are not.
_JINJA = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
_STRING = re.compile(r"\"([^\"\\]*(?:\\.[^\"\\]*)*)\"|'([^'\\]*(?:\\.[^'\\]*)*)'")
_NOT_PROSE = re.compile(r"%[-+ #0]*[0-9]*(?:\.[0-9]+)?[dfgse]|\{:[^}]*\}|\\u[0-9a-fA-F]{4}|^[\w/.-]+\.j2$")
#: HTML markup: CSS, formulas and the indices and exponents of formulas (notation, with their
#: content), tags with their attributes, entities.
_HTML = re.compile(
    r"<style\b.*?</style>"
    r"|<p class=\"formula\">.*?</p>"
    r"|<(sub|sup)>.*?</\1>"
    r"|<[^>]*>"
    r"|&[a-zA-Z]+;|&#[0-9]+;",
    re.S,
)


@dataclass(frozen=True)
class Violation:
    path: Path
    line: int
    column: int
    context: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: number typed in prose: …{self.context}…"


def _blank(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def prose(template: str) -> str:
    """The template's words: markup blanked out (same length, same line breaks, so positions
    still point into the template), the string literals of its Jinja markup kept."""

    def jinja(m: re.Match) -> str:
        out = list(_blank(m[0]))
        for s in _STRING.finditer(m[0]):
            text = _NOT_PROSE.sub(lambda f: _blank(f[0]), s[0][1:-1])
            out[s.start() + 1 : s.end() - 1] = text
        return "".join(out)

    text = _JINJA.sub(jinja, template)
    return _HTML.sub(lambda m: _blank(m[0]), text)


def violations(template: str, path: Path = Path("<string>")) -> list[Violation]:
    """Every digit of the prose of ``template`` outside an :data:`ALLOWED` token."""
    text = prose(template)
    allowed = [range(m.start(), m.end()) for m in _ALLOWED.finditer(text)]
    out = []
    for m in re.finditer(r"[0-9]+(?:[.,][0-9]+)*", text):
        if any(m.start() in r for r in allowed):
            continue
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - text.rfind("\n", 0, m.start())
        context = " ".join(text[max(0, m.start() - 30) : m.end() + 30].split())
        out.append(Violation(path, line, column, context))
    return out


def templates(root: Path) -> list[Path]:
    """The report's templates and the figure captions (Jinja too, shared with Snakemake's report)."""
    return sorted((root / layout.REPORT_TEMPLATES).rglob("*.j2")) + sorted(root.glob(layout.caption("*")))


def lint(root: Path) -> list[Violation]:
    return [v for p in templates(root) for v in violations(p.read_text(), p.relative_to(root))]


def main() -> int:
    root = Path(__file__).resolve().parents[2]
    found = lint(root)
    for v in found:
        print(v)
    if found:
        print(
            f"{len(found)} number(s) typed into the report's prose. Fix: compute the value in the "
            "section's module (from the config or the results) and fill it in, or, for a name or "
            "notation that is not a result, add it to ALLOWED in mnist_sgd/report/number_lint.py "
            "with its reason.",
            file=sys.stderr,
        )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
