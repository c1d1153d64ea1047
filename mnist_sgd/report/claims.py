"""Claims: the sentences of the report whose truth depends on the results, each with its check.

A section module computes its facts and, for every sentence that could be false on other
results, a :class:`Claim`: an id, the statement in words, whether it holds on the numbers
at hand, the numbers it read, and its :class:`Margin` — how far the deciding number would
have to move to flip it. The section's template prints the written sentence only inside
``{% if claims.some_id %}`` (and the written alternative in the ``{% else %}``), so a claim
that fails is never printed as if true. Asking a template for a claim id that the module did
not check is an error, and every claim a module checks must be asked for by its template
(:meth:`Claims.unused`), so prose and checks cannot drift apart.

**Seeds.** With several seeds a claim about each seed's runs (``per_seed=True``) is checked
again on every seed alone (:func:`mnist_sgd.report.render.section_facts` recomputes the
section on each seed's runs). It counts as holding only when it holds on the means and on
every seed; one that holds on the means but not on every seed reads false in the template
(its written alternative is printed), and :meth:`Claims.seeds_holding` gives "2 of 3" for
templates that have a sentence written for that case.

**The ledger.** :func:`ledger` lists every claim with its section, statement, numbers,
margin, per-seed results and status; the render writes it to ``results/report/claims.json``
and the appendix prints it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Margin:
    """The number that decides a claim, the limit at which the claim flips, and what it is.

    ``log``: the distance is a factor (value/limit or limit/value, minus one), for quantities
    compared on a log scale (learning rates, ratios); else relative to the limit."""

    what: str
    value: float
    limit: float
    log: bool = False

    @property
    def distance(self) -> float:
        """How far ``value`` is from ``limit``: a fraction of the limit (0.5 = 50 %)."""
        v, lim = float(self.value), float(self.limit)
        if not (math.isfinite(v) and math.isfinite(lim)):
            return math.nan
        if self.log:
            if v <= 0 or lim <= 0:
                return math.nan
            return max(v / lim, lim / v) - 1
        return abs(v - lim) / abs(lim) if lim else abs(v - lim)

    def text(self) -> str:
        """'largest relative difference between the curves 0.00134 against 0.01 (87 % away)':
        both numbers with enough digits to differ, the distance as a percentage of the limit
        (none against a limit of 0: the value is the distance)."""
        d = self.distance
        away = "" if not math.isfinite(d) or not self.limit else f" ({_percent(d)} away)"
        value, limit = _numbers(self.value, self.limit)
        return f"{self.what} {value} against {limit}{away}"

    @classmethod
    def nearer_edge(cls, what: str, value: float, low: float, high: float) -> Margin:
        """A value claimed to lie between ``low`` and ``high`` (e.g. a stability bound between the
        largest stable and the smallest diverged lr): its margin is the factor to the nearer edge."""
        nearer = low if math.isfinite(low) and (not math.isfinite(high) or value / low < high / value) else high
        return cls(f"{what} against the nearer tried lr", value, nearer, log=True)

    def as_dict(self) -> dict:
        return {
            "what": self.what,
            "value": _plain(self.value),
            "limit": _plain(self.limit),
            "distance": _plain(self.distance),
        }


def _number(x) -> str:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 and x == round(x) else f"{x:.3g}"


def _numbers(value, limit) -> tuple[str, str]:
    """Both numbers with three significant digits, or with one digit more than it takes for
    them to print differently."""
    try:
        v, lim = float(value), float(limit)
    except (TypeError, ValueError):
        return str(value), str(limit)
    if not (math.isfinite(v) and math.isfinite(lim)) or v == lim:
        return _number(v), _number(lim)
    if f"{v:.3g}" != f"{lim:.3g}":
        return _number(v), _number(lim)
    for digits in range(4, 9):
        if f"{v:.{digits}g}" != f"{lim:.{digits}g}":
            digits += 1  # one more: the first digit that differs may only be rounding
            return f"{v:.{digits}g}", f"{lim:.{digits}g}"
    return f"{v:.9g}", f"{lim:.9g}"


def _percent(d: float) -> str:
    if d >= 10:
        return f"{d:.0f}×"
    return f"{d:.0%}" if d >= 0.01 else f"{d:.2%}"


def _plain(x):
    """A JSON-safe copy of a number or structure of numbers (NaN and inf as None)."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, (str, bytes)):  # NumPy scalars
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, (bool, int, float, str)) or x is None:
        return x
    return str(x)


@dataclass(frozen=True)
class Claim:
    """One checked statement: ``holds`` is its truth on the results the report is built from
    (the means over seeds); ``seeds`` its truth on each seed alone (per-seed claims only)."""

    id: str
    section: str
    statement: str
    holds_on_means: bool
    numbers: dict = field(default_factory=dict)
    margin: Margin | None = None
    per_seed: bool = False
    seeds: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        """On the means and on every seed it was checked on."""
        return self.holds_on_means and all(self.seeds.values())


class Claims:
    """The claims of one section, looked up by id as attributes (``claims.shared_step``)."""

    def __init__(self, section: str):
        self._section = section
        self._claims: dict[str, Claim] = {}
        self._asked: set[str] = set()
        self._partly: set[str] = set()  # asked for the seeds it holds on (seeds_holding)
        #: In a draft that lacks some of the section's runs, "pending (k of m runs)": the
        #: templates print it in place of every claim (render.mark_pending, render.PendingClaims).
        self.pending = ""

    def check(
        self,
        id: str,
        statement: str,
        holds,
        *,
        margin: Margin | None = None,
        per_seed: bool = False,
        **numbers,
    ) -> bool:
        """Record the claim ``id`` ("the chosen lrs share one lr/B") and whether it ``holds``.

        ``margin``: the deciding number against the limit where the claim flips (None for a
        claim decided by counting or by a category). ``per_seed``: the claim is about each
        seed's runs, and is checked on every seed as well (see the module docstring)."""
        if id in self._claims:
            raise ValueError(f"claim {id!r} of section {self._section!r} is checked twice")
        holds = bool(holds)
        self._claims[id] = Claim(id, self._section, statement, holds, numbers, margin, per_seed)
        return holds

    def add_seed(self, seed: int, on_seed: Claims) -> None:
        """Record the truth of every per-seed claim on ``seed`` alone, from the same section's
        claims computed on that seed's runs."""
        for id, claim in self._claims.items():
            if claim.per_seed and id in on_seed._claims:
                claim.seeds[int(seed)] = on_seed._claims[id].holds_on_means

    def __getattr__(self, id: str) -> bool:
        if id.startswith("_"):
            raise AttributeError(id)
        try:
            claim = self._claims[id]
        except KeyError:
            raise AttributeError(f"section {self._section!r} has no claim {id!r}") from None
        self._asked.add(id)
        return claim.holds

    def __iter__(self):
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def holds(self, id: str) -> bool:
        """The truth of claim ``id`` without marking it as asked (for tests and the log)."""
        return self._claims[id].holds

    def seeds_holding(self, id: str) -> str:
        """ "2 of 3" when claim ``id`` holds on the means but not on every seed, else ""
        (for a template sentence written for that case)."""
        claim = self._claims[id]
        self._asked.add(id)
        self._partly.add(id)
        if not claim.holds_on_means or not claim.seeds or all(claim.seeds.values()):
            return ""
        return seeds_text(claim)

    def unused(self) -> list[str]:
        """Ids of the claims no template asked for."""
        return [i for i in self._claims if i not in self._asked]

    def status(self, id: str) -> str:
        """ "holds" (printed where asked), "holds on 2 of 3 seeds" (holds on the means, not on
        every seed, and printed with the wording written for that case), "dropped" (asked, false:
        its written alternative was printed instead) or "not asked" (in a branch of the template
        this report did not take)."""
        if id not in self._asked:
            return "not asked"
        claim = self._claims[id]
        if claim.holds:
            return "holds"
        if id in self._partly and claim.holds_on_means and claim.seeds:
            return f"holds on {seeds_text(claim)} seeds"  # printed with the wording for that case
        return "dropped"


def seeds_text(claim: Claim) -> str:
    """ "3 of 3" (per-seed claims), "" (claims not checked per seed)."""
    if not claim.seeds:
        return ""
    return f"{sum(claim.seeds.values())} of {len(claim.seeds)}"


def claim_log(sections: dict[str, dict]) -> list[str]:
    """One line per claim of every section: its status (:meth:`Claims.status`), statement,
    margin and, for per-seed claims, on how many seeds it holds."""
    lines = []
    for facts in sections.values():
        claims = facts["claims"]
        for c in claims:
            extra = [c.margin.text()] if c.margin else []
            if c.seeds:
                extra.append(f"seeds {seeds_text(c)}")
            tail = f"  [{'; '.join(extra)}]" if extra else ""
            lines.append(f"{claims.status(c.id):9}  {c.section}.{c.id}: {c.statement}{tail}")
    return lines


def ledger(sections: dict[str, dict]) -> list[dict]:
    """Every claim of every section as a JSON-ready record: id, section, statement, status,
    whether it holds on the means, per seed, its margin and the numbers it read."""
    out = []
    for facts in sections.values():
        claims = facts["claims"]
        for c in claims:
            out.append(
                {
                    "id": f"{c.section}.{c.id}",
                    "section": c.section,
                    "statement": c.statement,
                    "status": claims.status(c.id),
                    "holds": c.holds,
                    "holds_on_means": c.holds_on_means,
                    "seeds": {str(s): v for s, v in sorted(c.seeds.items())},
                    "seeds_text": seeds_text(c),
                    "margin": c.margin.as_dict() | {"text": c.margin.text()} if c.margin else None,
                    "numbers": _plain(c.numbers),
                }
            )
    return out
