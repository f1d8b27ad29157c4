"""Balanced assignment of jurors to applications: pure, frozen dataclasses in and out.

Each application wants a number of reviews; the jurors already assigned to it count. Seats are
given one round at a time: in each round every application still short of reviews gets one
juror (those missing the most first, then those with the fewest jurors left to choose from),
and each takes the juror with the lightest load so far (then the lowest id). Then seats move
from the most loaded juror to the least loaded, where the exclusions allow it, until no two
loads differ by more than one or no seat can move. A juror excluded from an application
(recused, flagged, or already assigned to it) is never given it; an application that runs out
of jurors is reported unfilled. The same inputs give the same plan every time.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    application_id: int
    wanted: int  # reviews per application
    assigned: tuple[int, ...] = ()  # jurors assigned who count (not recused)
    excluded: tuple[int, ...] = ()  # jurors it may not be given (recused, flagged, already assigned)

    def __post_init__(self) -> None:
        if self.wanted < 0:
            raise ValueError("An application cannot want a negative number of reviews.")


@dataclass(frozen=True)
class Seat:
    application_id: int
    juror_id: int


@dataclass(frozen=True)
class Plan:
    seats: tuple[Seat, ...]  # new assignments, in the order they were given
    unfilled: tuple[tuple[int, int], ...]  # (application id, reviews still missing)


def balanced_assignment(jurors: tuple[int, ...], loads: dict[int, int], needs: tuple[Need, ...]) -> Plan:
    """New seats for the applications' missing reviews. `loads` are the jurors' counted
    assignments in the call before this plan (a juror missing from it has none)."""
    load = {juror: loads.get(juror, 0) for juror in jurors}
    taken = {need.application_id: set(need.assigned) | set(need.excluded) for need in needs}
    missing = {need.application_id: max(0, need.wanted - len(need.assigned)) for need in needs}
    seats: list[Seat] = []
    while True:
        waiting = [application for application, count in missing.items() if count > 0]
        if not waiting:
            break

        def choices(application: int) -> list[int]:
            return [juror for juror in jurors if juror not in taken[application]]

        given = False
        for application in sorted(waiting, key=lambda a: (-missing[a], len(choices(a)), a)):
            free = choices(application)
            if not free:
                continue
            juror = min(free, key=lambda j: (load[j], j))
            seats.append(Seat(application, juror))
            load[juror] += 1
            taken[application].add(juror)
            missing[application] -= 1
            given = True
        if not given:
            break
    _rebalance(jurors, load, taken, seats)
    unfilled = tuple((application, count) for application, count in sorted(missing.items()) if count > 0)
    return Plan(tuple(seats), unfilled)


def _rebalance(jurors: tuple[int, ...], load: dict[int, int], taken: dict[int, set], seats: list[Seat]) -> None:
    """Move new seats from heavier to lighter jurors while two loads differ by two or more."""
    while True:
        pairs = sorted(
            ((heavy, light) for heavy in jurors for light in jurors if load[heavy] - load[light] >= 2),
            key=lambda pair: (load[pair[1]] - load[pair[0]], pair),
        )
        moved = False
        for heavy, light in pairs:
            for index, seat in enumerate(seats):
                if seat.juror_id == heavy and light not in taken[seat.application_id]:
                    seats[index] = Seat(seat.application_id, light)
                    taken[seat.application_id].discard(heavy)
                    taken[seat.application_id].add(light)
                    load[heavy] -= 1
                    load[light] += 1
                    moved = True
                    break
            if moved:
                break
        if not moved:
            return
