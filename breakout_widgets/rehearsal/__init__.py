"""Rehearsal: simulated students, so an instructor can try a lesson alone.

::

    with bw.rehearsal.students(cls, n=30, seed=7) as r:   # they join, chat and vote
        poll = cls.polls.create("Which is faster?", ["A", "B"])
        r.wait_for_votes(poll)                              # {'A': 16, 'B': 14}
"""

from ._rehearsal import Rehearsal, students
from ._student import SimulatedStudent

__all__ = ["Rehearsal", "SimulatedStudent", "students"]
