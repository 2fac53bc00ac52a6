"""The Dask cluster the grading command runs on: a LocalCluster by default, or one given.

    with open_cluster(scheduler=None, workers=0) as cluster:
        future = cluster.client.submit(grade_submission, ..., retries=1)

By default a ``distributed.LocalCluster`` starts here: one single-threaded worker process per
core, on the loopback interface, every port (the scheduler's, its HTTP server's, the workers')
chosen free by the system, so any number of grading runs can share a machine. (The scheduler
serves HTTP even without a dashboard, on 8787 unless told otherwise: hence ``":0"``.)
``scheduler="tcp://host:8786"`` connects to a cluster someone started with ``dask scheduler``
/ ``dask worker`` (or dask-jobqueue, or the Dask Helm chart) instead.

Fault policy, set on the scheduler: a task (one submission) whose worker dies is re-run on
another worker; a second death marks it failed (``allowed_failures = 1``), and the coordinator
reports that submission "could not be graded: worker lost". Each single-threaded worker is given
one submission at a time (``worker-saturation 1.0``), so a worker's death blames the submission
it was grading, not one merely queued behind it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass

ALLOWED_FAILURES = 1      # worker deaths a submission may cause before it is given up
WORKER_SATURATION = 1.0   # submissions handed to a single-threaded worker at a time


class ClusterError(RuntimeError):
    """The cluster cannot be reached or used; the message says why and what to do."""


@dataclass
class Cluster:
    client: object              # distributed.Client
    address: str
    local: bool
    started: float              # time.perf_counter() when it was asked for


def _set_scheduler_policy(dask_scheduler=None) -> tuple[int, float]:
    """Runs on the scheduler: our fault policy (see the module docstring)."""
    dask_scheduler.allowed_failures = ALLOWED_FAILURES
    dask_scheduler.WORKER_SATURATION = WORKER_SATURATION
    return dask_scheduler.allowed_failures, dask_scheduler.WORKER_SATURATION


@contextlib.contextmanager
def open_cluster(scheduler: str | None = None, workers: int = 0, connect_timeout: float = 10):
    """A Client on the given scheduler, or on a LocalCluster of `workers` processes (0: one
    per core). Raises ClusterError when the scheduler cannot be reached."""
    import dask
    from distributed import Client, LocalCluster

    start = time.perf_counter()
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        "distributed.scheduler.worker-saturation": WORKER_SATURATION,
        # A student's notebook is a few hundred KiB at most: no warning for a "large graph".
        "distributed.admin.large-graph-warning-threshold": "64MB",
        "distributed.comm.timeouts.connect": f"{connect_timeout}s",
        # Background work a grading run has no use for, which on a local cluster took a tenth
        # of a core from grading (measured idle: 2.0 -> 0.3 CPU-seconds per 20 s): the event
        # loop's 20 ms watchdog tick, the statistical profiler sampling every worker's stack
        # every 10 ms (for the dashboard's profile page), the system monitor's 0.5 s polls,
        # and work stealing every 100 ms (with queuing, a submission waits on the scheduler
        # until a worker is free, so there is nothing to steal).
        "distributed.admin.tick.interval": "1s",
        "distributed.worker.profile.enabled": False,
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.scheduler.work-stealing": False,
    }
    with dask.config.set(settings):
        local = None
        try:
            if scheduler:
                try:
                    client = Client(scheduler, timeout=connect_timeout)
                except (OSError, TimeoutError, ValueError) as exc:
                    raise ClusterError(
                        f"cannot reach the Dask scheduler at {scheduler} ({exc}): start one "
                        "with `dask scheduler` and workers with `dask worker "
                        f"{scheduler}`, check the address and port (8786 by default), or "
                        "leave out --scheduler to grade on this machine") from exc
                try:
                    client.run_on_scheduler(_set_scheduler_policy)
                except Exception as exc:  # noqa: BLE001 - a scheduler that refuses run_on_scheduler
                    logging.getLogger(__name__).warning(
                        "could not set the fault policy on the scheduler (%s): start it with "
                        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES=1", exc)
            else:
                n = workers or os.cpu_count() or 1
                local = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", scheduler_port=0,
                                     dashboard_address=":0", memory_limit=0,
                                     silence_logs=logging.ERROR)
                client = Client(local)
            cluster = Cluster(client, client.scheduler.address, local is not None, start)
            try:
                yield cluster
            finally:
                client.close()
        finally:
            if local is not None:
                local.close()


def wait_for_workers(cluster: Cluster, timeout: float = 60) -> int:
    """The number of workers, once there is at least one; ClusterError after `timeout` s."""
    try:
        cluster.client.wait_for_workers(1, timeout=timeout)
    except TimeoutError as exc:
        raise ClusterError(f"the Dask scheduler at {cluster.address} has no workers after "
                           f"{timeout:g} s: start some with `dask worker {cluster.address}`"
                           ) from exc
    return len(cluster.client.scheduler_info(n_workers=-1)["workers"])
