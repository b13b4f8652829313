"""Latency histograms that merge across processes, and percentiles that count losses.

A histogram keeps counts in logarithmic buckets of ~1 % width (1 µs … 100 s), so a
worker can record millions of deliveries in constant memory and the controller can add
the workers' histograms up. Percentiles are taken over the *expected* deliveries: a
message that never arrived counts as infinitely late, so a server that drops or stalls
cannot look fast.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

BUCKETS_PER_E = 100  # bucket i holds latencies in [e^(i/100), e^((i+1)/100)) µs
N_BUCKETS = int(math.log(100e6) * BUCKETS_PER_E) + 2  # up to 100 s


def bucket_of(latency_s: float) -> int:
    us = latency_s * 1e6
    if us <= 1.0:
        return 0
    return min(int(math.log(us) * BUCKETS_PER_E), N_BUCKETS - 1)


def bucket_value(index: int) -> float:
    """The middle of bucket ``index``, in seconds."""
    return math.exp((index + 0.5) / BUCKETS_PER_E) / 1e6


@dataclass
class Histogram:
    counts: dict[int, int] = field(default_factory=dict)
    total: int = 0
    max_s: float = 0.0

    def add(self, latency_s: float) -> None:
        i = bucket_of(latency_s)
        self.counts[i] = self.counts.get(i, 0) + 1
        self.total += 1
        if latency_s > self.max_s:
            self.max_s = latency_s

    def merge(self, other: Histogram) -> None:
        for i, n in other.counts.items():
            self.counts[i] = self.counts.get(i, 0) + n
        self.total += other.total
        self.max_s = max(self.max_s, other.max_s)

    def to_wire(self) -> tuple[list[tuple[int, int]], int, float]:
        return sorted(self.counts.items()), self.total, self.max_s

    @classmethod
    def from_wire(cls, wire: tuple[list[tuple[int, int]], int, float]) -> Histogram:
        counts, total, max_s = wire
        return cls(dict(counts), total, max_s)

    def quantile(self, q: float, expected: int | None = None) -> float:
        """The ``q`` quantile (0–1) in seconds; with ``expected`` > total, the missing
        deliveries count as infinitely late (``math.inf``)."""
        population = max(expected or 0, self.total)
        if population == 0:
            return math.nan
        rank = max(1, math.ceil(q * population))
        if rank > self.total:
            return math.inf
        seen = 0
        for i in sorted(self.counts):
            seen += self.counts[i]
            if seen >= rank:
                return min(bucket_value(i), self.max_s)
        return self.max_s


def merge_all(histograms: Iterable[Histogram]) -> Histogram:
    out = Histogram()
    for h in histograms:
        out.merge(h)
    return out


def ms(seconds: float) -> float | None:
    """Seconds to milliseconds for reports; ``None`` stands for infinite or unknown."""
    if seconds is None or math.isnan(seconds) or math.isinf(seconds):
        return None
    return round(seconds * 1000, 2)
