"""How long the survival tables take for many firms already in memory (no database): the
Kaplan-Meier table with its intervals, and the breakdown by cohort, for 100,000 firms.

The reference run, in the same process, is one plain Python pass over the same firms (reading
their dates): the tables should cost a small multiple of it. The impact issue's bench reads
the firms from PostgreSQL; its goal is under 1 s in all.

    .venv/bin/python bench/survival_in_memory.py [--firms 100000]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.grants.survival import FirmFollowUp, survival, survival_by_cohort  # noqa: E402


def firms(count: int) -> list[FirmFollowUp]:
    generator = random.Random(2026)
    last_check = date(2026, 6, 1)
    made = []
    for _ in range(count):
        first = date(2019, 1, 1) + timedelta(days=generator.randrange(0, 2_600))
        if generator.random() < 0.3:
            closed = first + timedelta(days=generator.randrange(0, (last_check - first).days + 1))
            made.append(FirmFollowUp(first, closed, closed))
        else:
            made.append(FirmFollowUp(first, None, last_check))
    return made


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    count = parser.parse_args().firms
    followed = firms(count)

    started = time.perf_counter()
    survival(followed[:1_000])  # the first call loads scipy: counted apart
    first_call = time.perf_counter() - started

    reference = best_of(5, lambda: sum(f.first_support.toordinal() + (f.closed_on or f.last_check).toordinal()
                                       for f in followed))
    table = best_of(5, lambda: survival(followed))
    cohorts = best_of(5, lambda: survival_by_cohort(followed))
    five_years = survival(followed).at(5)

    print(f"firms: {count} in memory, {sum(f.closed_on is not None for f in followed)} closed")
    print(f"scipy loaded on the first table:            {first_call * 1000:7.0f} ms (once per process)")
    print(f"reference, one Python pass over the firms:  {reference * 1000:7.1f} ms")
    print(f"survival table (S(1..5), intervals, curve): {table * 1000:7.1f} ms  ({table / reference:.1f}× the reference)")
    print(f"the same by cohort ({len(survival_by_cohort(followed))} cohorts):             {cohorts * 1000:7.1f} ms"
          f"  ({cohorts / reference:.1f}× the reference)")
    print(f"S(5 years) = {five_years.survival:.3f} [{five_years.low:.3f}, {five_years.high:.3f}], "
          f"{five_years.at_risk} at risk")


if __name__ == "__main__":
    main()
