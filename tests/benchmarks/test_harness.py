"""The benchmark harness's own logic, without sockets: percentiles, publishers, verdicts."""

from __future__ import annotations

import math

import pytest

from benchmarks.profiles import QUICK, override
from benchmarks.report import knee_ratio, markdown
from benchmarks.stats import Histogram
from benchmarks.workloads.fanout import Rooms


def test_percentiles_count_missing_deliveries_as_infinitely_late() -> None:
    h = Histogram()
    for i in range(1, 101):
        h.add(i / 1000)  # 1 … 100 ms
    assert h.quantile(0.5) == pytest.approx(0.050, rel=0.02)
    assert h.quantile(0.99, expected=100) == pytest.approx(0.099, rel=0.02)
    assert h.quantile(0.99, expected=102) == math.inf  # two of 102 never arrived
    assert h.quantile(0.5, expected=102) == pytest.approx(0.051, rel=0.02)


def test_histograms_merge_across_processes() -> None:
    a, b = Histogram(), Histogram()
    a.add(0.001)
    b.add(0.300)
    merged = Histogram.from_wire(a.to_wire())
    merged.merge(Histogram.from_wire(b.to_wire()))
    assert merged.total == 2 and merged.max_s == 0.300
    assert merged.quantile(1.0) == pytest.approx(0.300, rel=0.02)


def test_publishers_spread_the_load_under_the_per_member_cap() -> None:
    rooms = Rooms({"a": list(range(0, 30)), "b": list(range(30, 60))}, workers=2)
    plan = rooms.publishers(100.0, cap=4.0, dead=set())
    flat = [p for worker in plan for p in worker]
    assert sum(rate for _, rate, _ in flat) == pytest.approx(100.0)
    assert all(rate <= 4.0 for _, rate, _ in flat)
    assert all(idx % 2 == w for w, worker in enumerate(plan) for idx, _, _ in worker)
    assert all(0 <= phase < 1 for _, _, phase in flat)
    assert rooms.capacity(4.0, dead={0, 1}) == 58 * 4.0


def test_dead_members_never_publish() -> None:
    rooms = Rooms({"a": [0, 1, 2]}, workers=1)
    (plan,) = rooms.publishers(3.0, cap=4.0, dead={0})
    assert [idx for idx, _, _ in plan] == [1]


def test_a_knee_that_was_not_reached_is_only_a_bound() -> None:
    found = {"knee_deliveries_per_s": 1000.0, "knee_found": True}
    capped = {"knee_deliveries_per_s": 2000.0, "knee_found": False}
    assert knee_ratio(found, {**found, "knee_deliveries_per_s": 1100.0}, 0.8) == (
        0.91,
        True,
        "",
    )
    assert knee_ratio(found, capped, 0.8) == (0.5, False, "≤")  # the baseline can do more
    assert knee_ratio(found, capped, 0.4) == (0.5, None, "≤")
    assert knee_ratio(capped, found, 0.8) == (2.0, True, "≥")


def test_profile_numbers_can_be_changed_from_the_command_line() -> None:
    changed = override(QUICK, ["w1_connections=50", "step_seconds=0.5"])
    assert changed.w1_connections == 50 and changed.step_seconds == 0.5
    with pytest.raises(ValueError):
        override(QUICK, ["fanout=1"])


def test_markdown_report_has_a_row_per_table_row_and_goal() -> None:
    doc = {
        "table": [
            {
                "workload": "W1 idle connections",
                "shard": "—",
                "target": "ours",
                "result": "10 held, 20.0 KB/conn",
                "vs_bare": 1.5,
                "notes": "",
            }
        ],
        "goals": [
            {
                "goal": "≤ 20 KB per idle connection",
                "value": 20.0,
                "bound": "",
                "unit": "KB",
                "met": True,
            },
        ],
    }
    text = markdown(doc)
    assert "| W1 idle connections | — | breakout-widgets | 10 held, 20.0 KB/conn | 1.50 |" in text
    assert "| ≤ 20 KB per idle connection | 20.0KB | met |" in text
