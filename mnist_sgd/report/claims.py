"""Claims: the sentences of the report whose truth depends on the results, each with its check.

A section module computes its facts and, for every sentence that could be false on other
results, a :class:`Claim`: an id, the statement in words, whether it holds on the numbers
at hand, and the numbers it read. The section's template prints the written sentence only
inside ``{% if claims.some_id %}`` (and the written alternative in the ``{% else %}``), so a
claim that fails is never printed as if true. Asking a template for a claim id that the
module did not check is an error, and every claim a module checks must be asked for by its
template (:meth:`Claims.unused`), so prose and checks cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Claim:
    """One checked statement: ``holds`` is its truth on the results the report is built from."""

    id: str
    section: str
    statement: str
    holds: bool
    numbers: dict = field(default_factory=dict)


class Claims:
    """The claims of one section, looked up by id as attributes (``claims.shared_step``)."""

    def __init__(self, section: str):
        self._section = section
        self._claims: dict[str, Claim] = {}
        self._asked: set[str] = set()
        #: In a draft that lacks some of the section's runs, "pending (k of m runs)": the
        #: templates print it in place of every claim (render.mark_pending, render.PendingClaims).
        self.pending = ""

    def check(self, id: str, statement: str, holds, **numbers) -> bool:
        """Record the claim ``id`` ("the chosen lrs share one lr/B") and whether it ``holds``."""
        if id in self._claims:
            raise ValueError(f"claim {id!r} of section {self._section!r} is checked twice")
        holds = bool(holds)
        self._claims[id] = Claim(id, self._section, statement, holds, numbers)
        return holds

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

    def unused(self) -> list[str]:
        """Ids of the claims no template asked for."""
        return [i for i in self._claims if i not in self._asked]

    def status(self, id: str) -> str:
        """ "holds" (printed where asked), "dropped" (asked, false: its written alternative was
        printed instead) or "not asked" (in a branch of the template this report did not take)."""
        if id not in self._asked:
            return "not asked"
        return "holds" if self._claims[id].holds else "dropped"


def claim_log(sections: dict[str, dict]) -> list[str]:
    """One line per claim of every section: its status (:meth:`Claims.status`) and statement."""
    lines = []
    for facts in sections.values():
        claims = facts["claims"]
        for c in claims:
            lines.append(f"{claims.status(c.id):9}  {c.section}.{c.id}: {c.statement}")
    return lines
