"""Checks a strict reader applies to the report's text: each function returns the offending snippets
(empty list: clean). The report tests run them on the real PDF's text (``pdftotext``); each is
also tested on hand-written text that has the glitch.

``body`` below is the report's text before the provenance appendix (paths, hashes, the config
and job names belong there); code listings are removed by the caller where they matter.
"""

from __future__ import annotations

import re

from mnist_sgd import grid

APPENDIX_HEADING = "Appendix"


def body_of(text: str) -> str:
    """The text before the appendix: before the second mention of its heading when there are two or
    more (the first is the contents list; later ones are the running headers of its pages)."""
    first = text.find(APPENDIX_HEADING)
    second = text.find(APPENDIX_HEADING, first + 1) if first >= 0 else -1
    at = second if second >= 0 else first
    return text if at < 0 else text[:at]


def epoch_counts(text: str, epochs: int) -> list[str]:
    """Counts of epochs larger than the configured number (epoch 0, the initial state, counted as one)."""
    bad = []
    for m in re.finditer(r"(?:\b(\d[\d,]*)\s+epochs?\b|\bepochs?\s+(\d[\d,]*)\b)", text):
        value = int((m[1] or m[2]).replace(",", ""))
        if value > epochs:
            bad.append(m[0])
    return bad


def over_precise(text: str, significant: int = 4) -> list[str]:
    """Decimal numbers with more than ``significant`` significant digits ('83.3333', '0.203826')."""
    bad = []
    for m in re.finditer(r"(?<![\w.\-/])(\d+)\.(\d+)(?![\w.])(\s?%)?", text):
        if m[3]:  # a percentage: always two decimals, 100.00 % included
            if len(m[2]) != 2:
                bad.append(m[0])
            continue
        digits = (m[1] + m[2]).lstrip("0")
        if len(digits) > significant:
            bad.append(m[0])
    return bad


def separators(text: str) -> list[str]:
    """Integers of five or more digits without thousands separators ('5000000'), outside dates,
    hashes and identifiers."""
    return [
        m[0]
        for m in re.finditer(r"(?<![\w.,:/\-#])\d{5,}(?![\w.,:/\-])", text)
        if not re.fullmatch(r"(19|20)\d{2}", m[0])
    ]


def backend_names(text: str) -> list[str]:
    """Backend names not in their display form ('tensorflow', 'Pytorch', or split 'pyt-orch')."""
    bad = []
    for name in grid.BACKEND_NAMES.values():
        for m in re.finditer(rf"\b{name}\b", text, re.I):
            if m[0] != name and not _in_identifier(text, m.start(), m.end()):
                bad.append(m[0])
        # a line break inside the name (hyphenated by the typesetter)
        for i in range(2, len(name) - 1):
            pattern = re.escape(name[:i]) + r"[\-\u2010\u00ad]\s*\n?\s*" + re.escape(name[i:])
            bad += [m[0] for m in re.finditer(pattern, text, re.I)]
    return bad


def _in_identifier(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is part of a code identifier or path (numpy_backend, mnist_sgd.train, --x)."""
    before, after = text[start - 1 : start], text[end : end + 1]
    return before in "_./" and before != "" or after in "_./(" and after != ""


def local_paths(body: str) -> list[str]:
    """Absolute local file paths (and file:// URLs) in the report's body."""
    return re.findall(
        r"(?:file://(?=/)|(?<![\w:/.]))/(?:work|home|tmp|root|mnt|var|Users|data|srv|opt)/[\w./\-]+", body
    )


def seeds_wording(text: str, n_seeds: int) -> list[str]:
    """'means over seeds', 'min–max over seeds', 'averaged over seeds' when there is one seed."""
    if n_seeds > 1:
        return []
    return re.findall(r"[\w\-–]+ over (?:the )?seeds", text)


def sentence_starts(text: str) -> list[str]:
    """Sentences that start with a lower-case letter ('. lr = 0.03 diverged')."""
    bad = []
    for m in re.finditer(r"(?<=[.!?])\s+([a-z][\w′']*)", text):
        before = text[max(0, m.start() - 5) : m.start()]
        if re.search(r"(e\.g|i\.e|vs|etc|cf|acc|val|\d)\.$", before):
            continue
        bad.append(text[max(0, m.start() - 15) : m.end()])
    return bad


def reader_banners(body: str) -> list[str]:
    """Words addressed to the maintainer rather than the reader: how to change the config, or
    that the text is generated and changes."""
    patterns = [
        r"this text changes",
        r"\b(?:extend|set|change|increase|decrease|add to)\s+(?:the\s+)?`?(?:grid|training|data|frameworks)\.\w+",
        r"\b(?:grid|training|frameworks)\.(?:learning_rates|batch_sizes|subset_sizes|seeds|epochs|backends)\b",
    ]
    return [m[0] for p in patterns for m in re.finditer(p, body, re.I)]


def all_problems(text: str, epochs: int, n_seeds: int) -> dict[str, list[str]]:
    """Every check on the report's text (``text`` with code listings removed)."""
    body = body_of(text)
    return {
        "epoch counts": epoch_counts(body, epochs),
        "over-precise numbers": over_precise(body),
        "missing thousands separators": separators(body),
        "backend names": backend_names(body),
        "local paths outside the appendix": local_paths(body),
        "seed wording": seeds_wording(text, n_seeds),
        "lower-case sentence starts": sentence_starts(body),
        "reader banners and config advice": reader_banners(body),
    }
