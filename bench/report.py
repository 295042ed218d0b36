"""The wrk bench's figures: one record per phase and round, medians per phase, the
ratios scale N ÷ scale 1, the issue's targets, and a Markdown table of it all."""

import statistics
from dataclasses import dataclass, field

from bench.load import Measure
from bench.plan import BOOKING_PATHS, Phase

# Issue #15's targets (bench/README.md): pages ≥ 0.25 × /healthz at scale 1, visitor
# and signed in; at scale 10 no more than 1.5 × their time at scale 1; booking through
# the API ≥ 0.15 × /healthz; no overbooking and no errors.
PAGE_RATIO = 0.25
API_RATIO = 0.15
SCALE_TIME = 1.5
# Issue #18's: the statistics page, at any scale, costs at most 50 /healthz requests.
STATISTICS_RATIO = 1 / 50


@dataclass(frozen=True)
class Record:
    round: int
    phase: Phase
    measure: Measure
    healthz: float  # the mean /healthz req/s of the runs just before and after

    @property
    def ratio(self) -> float:
        return round(self.measure.rate / self.healthz, 4) if self.healthz else 0.0


@dataclass(frozen=True)
class Line:
    """One phase over the rounds: medians, and the errors of all its runs."""

    phase: Phase
    rate: float
    healthz: float
    ratio: float
    p50_ms: float
    p99_ms: float
    rounds: int
    counts: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for key, n in more.items():
        into[key] = into.get(key, 0) + n


def summarise(records: list[Record], extra_errors: dict[Phase, dict[str, int]]) -> list[Line]:
    """A Line per phase, in the order first measured; ``extra_errors``: those of runs
    not kept as records (the warm-up)."""
    lines = []
    for phase in dict.fromkeys(r.phase for r in records):
        mine = [r for r in records if r.phase == phase]
        counts: dict[str, int] = {}
        errors = dict(extra_errors.get(phase, {}))
        for record in mine:
            _add(counts, record.measure.counts)
            _add(errors, record.measure.errors)
        lines.append(Line(
            phase=phase, rounds=len(mine), counts=counts, errors=errors,
            rate=round(statistics.median(r.measure.rate for r in mine), 1),
            healthz=round(statistics.median(r.healthz for r in mine), 1),
            ratio=round(statistics.median(r.ratio for r in mine), 3),
            p50_ms=round(statistics.median(r.measure.p50_ms for r in mine), 1),
            p99_ms=round(statistics.median(r.measure.p99_ms for r in mine), 1),
        ))
    return lines


@dataclass(frozen=True)
class ScaleRatio:
    """A page at a larger scale against scale 1, round by round (same run)."""

    path: str
    who: str
    scale: int
    time: float  # median of rate at scale 1 ÷ rate at this scale
    p50: float  # median of p50 at this scale ÷ p50 at scale 1


def scale_ratios(records: list[Record]) -> list[ScaleRatio]:
    by_key = {(r.round, r.phase.path, r.phase.who, r.phase.scale): r.measure
              for r in records if r.phase.path not in BOOKING_PATHS}
    ratios = []
    keys = sorted({(path, who, scale) for _r, path, who, scale in by_key if scale > 1})
    for path, who, scale in keys:
        pairs = [(by_key[(n, path, who, 1)], big) for (n, p, w, s), big in by_key.items()
                 if (p, w, s) == (path, who, scale) and (n, path, who, 1) in by_key]
        pairs = [(small, big) for small, big in pairs
                 if big.rate and small.p50_ms]
        if pairs:
            ratios.append(ScaleRatio(
                path, who, scale,
                time=round(statistics.median(s.rate / b.rate for s, b in pairs), 2),
                p50=round(statistics.median(b.p50_ms / s.p50_ms for s, b in pairs), 2)))
    return ratios


def targets(lines: list[Line], ratios: list[ScaleRatio]) -> list[tuple[str, bool]]:
    """(what, met) for each of the issue's targets this run measured."""
    checks = []
    for line in lines:
        phase = line.phase
        if phase.path == "api":
            checks.append((f"{phase.label} ≥ {API_RATIO} × /healthz: {line.ratio:.3f}",
                           line.ratio >= API_RATIO))
        elif phase.path == "statistics":
            checks.append((f"{phase.label} ≥ 1/50 × /healthz: {line.ratio:.3f}",
                           line.ratio >= STATISTICS_RATIO))
        elif phase.path not in BOOKING_PATHS and phase.scale == 1:
            checks.append((f"{phase.label} ≥ {PAGE_RATIO} × /healthz: {line.ratio:.3f}",
                           line.ratio >= PAGE_RATIO))
    for r in ratios:
        if r.path == "statistics":
            continue  # its own target above, at every scale
        checks.append((f"{r.path} {r.who}: time at ×{r.scale} ≤ {SCALE_TIME} × ×1: "
                       f"{r.time:.2f}", r.time <= SCALE_TIME))
    return checks


def failures(lines: list[Line], audit: dict | None) -> list[str]:
    """What makes the run fail whatever the figures: errors, overbooking, a booking
    path that booked nothing."""
    found = [f"{line.phase.label}: {line.errors}" for line in lines if line.errors]
    for line in lines:
        if line.phase.path in BOOKING_PATHS and not line.counts.get("booked"):
            found.append(f"{line.phase.label}: nothing booked")
    if audit is not None:
        over = audit["overbooked_slots"] + audit["over_capacity_counts"]
        if over or audit["count_mismatches"]:
            found.append(f"audit: {audit}")
    return found


def table(lines: list[Line]) -> str:
    rows = ["| path | as | scale | per s | /healthz per s | ratio | p50 / p99 ms | errors |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for line in lines:
        p = line.phase
        name = f"booking ({p.path})" if p.path in BOOKING_PATHS else p.path
        errors = sum(line.errors.values())
        rows.append(f"| {name} | {p.who or 'resident'} | {p.scale or '–'} | {line.rate:g} | "
                    f"{line.healthz:g} | {line.ratio:.3f} | {line.p50_ms:g} / {line.p99_ms:g} | "
                    f"{errors} |")
    return "\n".join(rows)


def scale_table(ratios: list[ScaleRatio]) -> str:
    rows = ["| page | as | scale | time × (rate ×1 ÷ rate) | p50 × |",
            "| --- | --- | --- | --- | --- |"]
    rows += [f"| {r.path} | {r.who} | {r.scale} | {r.time:.2f} | {r.p50:.2f} |" for r in ratios]
    return "\n".join(rows)
