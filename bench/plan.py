"""What one wrk bench run measures: the phases, grouped by the site they are served by.

A phase is one wrk run of a script of bench/wrk/ against one site: booking through the
API or the pages on the booking workload, or GETs of a page on the demo data at a
scale, as a visitor or signed in. Each site's phases are measured in turn with a
/healthz run of the same server before, between and after them, so that every phase is
divided by the /healthz rate measured just around it.
"""

from dataclasses import dataclass, field

BOOKING_PATHS = ("api", "page")
PAGE_PATHS = {"home": "/", "schedule": "/schedule", "session": "/sessions/<id>",
              "statistics": "/admin/statistics"}
ALL_PATHS = (*BOOKING_PATHS, *PAGE_PATHS)
WHO = ("visitor", "resident")
# Pages only staff see, and whom they are read as (whatever --as says).
STAFF_PAGES = {"statistics": "admin"}


@dataclass(frozen=True)
class Phase:
    path: str  # api, page, home, schedule, session
    site: str  # booking, demo1, demo10, …
    who: str = ""  # visitor or resident (pages)
    scale: int = 0  # the demo data's scale (pages)

    @property
    def script(self) -> str:
        return self.path if self.path in BOOKING_PATHS else "get"

    @property
    def label(self) -> str:
        if self.path in BOOKING_PATHS:
            return f"booking {self.path}"
        return f"{self.path} {self.who} ×{self.scale}"


@dataclass(frozen=True)
class Plan:
    sites: dict[str, list[Phase]] = field(default_factory=dict)  # in the order measured

    @property
    def phases(self) -> list[Phase]:
        return [phase for phases in self.sites.values() for phase in phases]


def site_name(scale: int) -> str:
    return f"demo{scale}"


def make_plan(paths: list[str], scales: list[int], who: list[str]) -> Plan:
    """The phases for ``paths`` (booking paths on the booking site; pages on a demo
    site per scale, for each of ``who``)."""
    sites: dict[str, list[Phase]] = {}
    booking = [Phase(path, "booking") for path in BOOKING_PATHS if path in paths]
    if booking:
        sites["booking"] = booking
    pages = [path for path in PAGE_PATHS if path in paths]
    for scale in scales if pages else []:
        sites[site_name(scale)] = [
            Phase(path, site_name(scale), person, scale) for path in pages
            for person in ([STAFF_PAGES[path]] if path in STAFF_PAGES else who)]
    return Plan(sites)


def paths_data(phase: Phase, session_ids: list[int]) -> list[str]:
    """The URLs a page phase reads in turn (the session page: several sessions)."""
    if phase.path == "session":
        return [f"/sessions/{session_id}" for session_id in session_ids]
    return [PAGE_PATHS[phase.path]]
