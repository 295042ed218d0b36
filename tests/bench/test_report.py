"""bench/plan.py and bench/report.py: what a run measures and how its figures add up."""

from bench.load import Measure
from bench.plan import Phase, make_plan, paths_data
from bench.report import Record, ScaleRatio, failures, scale_ratios, summarise, table, targets


def _measure(rate: float, p50: float = 100.0, **errors: int) -> Measure:
    return Measure(rate=rate, seconds=5.0, requests=int(rate * 5), p50_ms=p50, p99_ms=2 * p50,
                   counts={"booked": int(rate * 5)}, errors=dict(errors))


API = Phase("api", "booking")
HOME_1 = Phase("home", "demo1", "visitor", 1)
HOME_10 = Phase("home", "demo10", "visitor", 10)


def test_make_plan_groups_phases_by_site_in_order():
    plan = make_plan(["api", "page", "home", "session"], [1, 10], ["visitor", "resident"])

    assert list(plan.sites) == ["booking", "demo1", "demo10"]
    assert [p.label for p in plan.sites["demo10"]] == [
        "home visitor ×10", "home resident ×10", "session visitor ×10",
        "session resident ×10"]
    assert [(p.label, p.script) for p in plan.sites["booking"]] == [
        ("booking api", "api"), ("booking page", "page")]


def test_make_plan_without_pages_builds_no_demo_site():
    assert list(make_plan(["api"], [1, 10], ["visitor"]).sites) == ["booking"]


def test_session_phase_reads_several_session_pages():
    assert paths_data(Phase("session", "demo1", "visitor", 1), [4, 9]) == [
        "/sessions/4", "/sessions/9"]
    assert paths_data(HOME_1, [4, 9]) == ["/"]


def test_summarise_takes_medians_and_adds_up_errors():
    records = [Record(1, API, _measure(100), 500.0), Record(2, API, _measure(120), 400.0),
               Record(3, API, _measure(90, **{"status 500": 1}), 450.0)]

    (line,) = summarise(records, {API: {"socket read": 2}})

    assert (line.rate, line.healthz, line.ratio, line.p50_ms, line.rounds) == (
        100.0, 450.0, 0.2, 100.0, 3)
    assert line.errors == {"socket read": 2, "status 500": 1}
    assert line.counts == {"booked": 500 + 600 + 450}


def test_scale_ratios_pair_the_rounds_of_one_run():
    records = [Record(1, HOME_1, _measure(40, p50=800), 500.0),
               Record(1, HOME_10, _measure(10, p50=3200), 500.0),
               Record(2, HOME_1, _measure(30, p50=1000), 500.0),
               Record(2, HOME_10, _measure(20, p50=1500), 500.0)]

    assert scale_ratios(records) == [ScaleRatio("home", "visitor", 10, time=2.75, p50=2.75)]


def test_targets_and_failures():
    lines = summarise([Record(1, API, _measure(100), 500.0),
                       Record(1, HOME_1, _measure(100), 500.0)], {})
    ratios = [ScaleRatio("home", "visitor", 10, time=1.6, p50=1.4)]

    assert targets(lines, ratios) == [
        ("booking api ≥ 0.15 × /healthz: 0.200", True),
        ("home visitor ×1 ≥ 0.25 × /healthz: 0.200", False),
        ("home visitor: time at ×10 ≤ 1.5 × ×1: 1.60", False),
    ]
    audit = {"bookings": 9, "overbooked_slots": 1, "over_capacity_counts": 0,
             "count_mismatches": 1}
    assert failures(lines, audit) == [f"audit: {audit}"]


def test_a_booking_path_that_booked_nothing_fails():
    empty = Measure(rate=0.0, seconds=5.0, requests=40, p50_ms=1.0, p99_ms=1.0,
                    counts={"full": 40})

    lines = summarise([Record(1, API, empty, 500.0)], {})

    assert failures(lines, None) == ["booking api: nothing booked"]


def test_table_is_markdown():
    lines = summarise([Record(1, API, _measure(100), 500.0)], {})

    assert table(lines).splitlines()[2] == (
        "| booking (api) | resident | – | 100 | 500 | 0.200 | 100 / 200 | 0 |")
