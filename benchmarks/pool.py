"""The controller's side of the load generators: spawn them, command them, stop them.

Each worker is a ``multiprocessing`` process (spawn: a fresh interpreter, no inherited
loop or sockets) with a pipe to the controller and its own source address 127.0.0.x, so
connections spread over processes (20,000 open files each at most) and over addresses
(28,232 ephemeral ports per address pair).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.connection import Connection, wait
from typing import Any

from . import worker

FIRST_SOURCE = 11  # worker i connects from 127.0.0.(11 + i)


class WorkerError(RuntimeError):
    """A worker failed a command, died or did not answer in time."""


class WorkerPool:
    def __init__(self, size: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self._calls = 0
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for i in range(size):
            here, there = ctx.Pipe()
            process = ctx.Process(
                target=worker.main,
                args=(there, i, f"127.0.0.{FIRST_SOURCE + i}"),
                name=f"bench-worker-{i}",
                daemon=True,
            )
            process.start()
            there.close()
            self.pipes.append(here)
            self.processes.append(process)

    @property
    def size(self) -> int:
        return len(self.pipes)

    def call(self, command: str, args: list[dict[str, Any]] | dict[str, Any], timeout: float):  # type: ignore[no-untyped-def]
        """Send ``command`` to every worker (the same ``args`` or one dict per worker) and
        return their results in worker order."""
        per_worker = args if isinstance(args, list) else [args] * self.size
        self._calls += 1
        call_id = self._calls
        for pipe, kwargs in zip(self.pipes, per_worker, strict=True):
            pipe.send((call_id, command, kwargs))
        results: list[Any] = [None] * self.size
        waiting = dict(enumerate(self.pipes))
        deadline = time.monotonic() + timeout
        while waiting:
            left = deadline - time.monotonic()
            ready = wait(list(waiting.values()), timeout=max(0.0, left))
            if not ready:
                self._diagnose(sorted(waiting))
                raise WorkerError(f"{command}: no answer from workers {sorted(waiting)} in time")
            for pipe in ready:
                i = self.pipes.index(pipe)  # type: ignore[arg-type]
                try:
                    reply = pipe.recv()  # type: ignore[union-attr]
                except EOFError as exc:
                    raise WorkerError(f"{command}: worker {i} died") from exc
                if reply["id"] != call_id:
                    continue  # the late answer to a call that timed out
                if not reply["ok"]:
                    raise WorkerError(f"{command} failed in worker {i}:\n{reply['error']}")
                results[i] = reply["result"]
                del waiting[i]
        return results

    def _diagnose(self, stuck: list[int]) -> None:
        """Have stuck workers print their threads' and tasks' stacks to stderr."""
        for i in stuck:
            pid = self.processes[i].pid
            if pid is not None and self.processes[i].is_alive():
                with contextlib.suppress(OSError):
                    os.kill(pid, worker.DUMP_THREADS)
                    time.sleep(0.2)
                    os.kill(pid, worker.DUMP_TASKS)
        time.sleep(1.0)

    def close(self) -> None:
        """Ask the workers to exit; kill the ones that do not within a few seconds."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError, ValueError):
                pipe.send((0, "exit", {}))
        deadline = time.monotonic() + 5
        for process in self.processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(2)
        for pipe in self.pipes:
            pipe.close()
        self.pipes.clear()
        self.processes.clear()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
