"""Build the services of an HTTP server process from settings (its composition root).

`build_services(settings)` opens the store (migrating it under a lock), resolves the
JWT secret and wires auth, the strategy library, the job executor (a spawn process pool,
or a Dask cluster when ``dask_address`` is set), backtests-as-jobs and the copilot.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import multiprocessing
import os
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from vibetrading.errors import ConfigError
from vibetrading.services.auth import AuthService
from vibetrading.services.backtest_runs import BacktestRunService
from vibetrading.services.container import ApiServices
from vibetrading.services.jobs import JobHandler, JobService
from vibetrading.services.library import StrategyLibrary
from vibetrading.services.ports import Store
from vibetrading.settings import Settings

__all__ = [
    "PLACEHOLDER_SECRETS",
    "DaskExecutor",
    "SpawnProcessPool",
    "build_services",
    "build_store",
    "executor_factory_for",
    "is_loopback",
    "resolve_jwt_secret",
]

logger = logging.getLogger("vibetrading.api")
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "changethis", "secret", "password", "jwt-secret", "dev", "test"}
)


def is_loopback(host: str) -> bool:
    """Return True when `host` is a loopback address or ``localhost``."""
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_jwt_secret(settings: Settings) -> str:
    """Return the JWT key: the setting, else one generated once and kept in the data dir.

    A known placeholder ("changeme", "secret", ...) is refused in multi-user mode.
    """
    if settings.jwt_secret is not None:
        secret = settings.jwt_secret.get_secret_value()
        if settings.multi_user and (
            secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < 32
        ):
            raise ConfigError(
                "VIBETRADING_JWT_SECRET is a placeholder or shorter than 32 characters; "
                "set a random value (python -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )
        if len(secret) < 32:
            raise ConfigError("VIBETRADING_JWT_SECRET must be at least 32 characters long.")
        return secret
    path = settings.data_dir / "jwt_secret"
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Write a private temp file, then link it into place: the secret appears whole or
    # not at all, and of several processes starting at once the first link wins.
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(secret)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temp, path)
    except FileExistsError:  # another process was first: use its secret
        return _read_secret(path)
    finally:
        temp.unlink(missing_ok=True)
    return secret


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < 32:
        raise ConfigError(
            f"The JWT secret in {path} is shorter than 32 characters; delete the file to "
            "make a new one (every session ends) or set VIBETRADING_JWT_SECRET."
        )
    return secret


def build_store(settings: Settings) -> Store:
    """Return the migrated store of `settings` (see ``bootstrap.build_store``)."""
    from vibetrading.bootstrap import build_store as build

    store: Any = build(settings)  # SqlStore, structurally a Store
    built: Store = store
    return built


class DaskExecutor(Executor):
    """A Dask cluster as a `concurrent.futures.Executor` that owns its client."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self._client = Client(address, set_as_default=False)  # type: ignore[no-untyped-call]
        self._executor = self._client.get_executor(pure=False)  # type: ignore[no-untyped-call]

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Run `fn` on a worker of the cluster."""
        future: Future[Any] = self._executor.submit(fn, *args, **kwargs)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop submitting and close the client (running tasks finish on the cluster)."""
        self._executor.shutdown(wait=wait)
        self._client.close()  # type: ignore[no-untyped-call]


class SpawnProcessPool(ProcessPoolExecutor):
    """A spawn process pool whose ``shutdown(wait=False)`` also stops busy workers.

    A server that stops does not wait for running jobs: their workers are terminated
    and the jobs, still marked running, are re-queued when the server starts again.
    """

    def __init__(self, max_workers: int) -> None:
        super().__init__(max_workers=max_workers, mp_context=multiprocessing.get_context("spawn"))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down; without `wait`, terminate the worker processes."""
        processes = list((getattr(self, "_processes", None) or {}).values())
        super().shutdown(wait=wait, cancel_futures=cancel_futures)
        if not wait:
            for process in processes:
                if process.is_alive():
                    process.terminate()


def executor_factory_for(settings: Settings) -> Callable[[], Executor]:
    """Return a builder of the job executor: Dask when configured, else a spawn pool."""
    if settings.dask_address:
        address = settings.dask_address
        return lambda: DaskExecutor(address)
    workers = settings.job_workers
    # spawn: never fork a server that runs threads
    return lambda: SpawnProcessPool(workers)


def _code_check() -> Callable[[str], list[str]] | None:
    try:
        from vibetrading.adapters.sandbox.policy import static_checks
    except ImportError:  # pragma: no cover - the sandbox is part of the build
        return None
    from vibetrading.errors import SandboxViolation

    def check(code: str) -> list[str]:
        findings = static_checks(code)
        blocking = [f for f in findings if not f.passed]
        if blocking:
            raise SandboxViolation(
                "; ".join(f"line {f.line}: {f.message}" if f.line else f.message for f in blocking)
            )
        return []

    return check


def _copilot(settings: Settings, store: Store) -> Any | None:
    from vibetrading import bootstrap

    builder = getattr(bootstrap, "build_copilot", None)
    if builder is None:
        return None
    return builder(settings, store=store)


def build_services(
    settings: Settings,
    *,
    multi_user: bool | None = None,
    executor_factory: Callable[[], Executor] | None = None,
    handlers: Mapping[str, JobHandler] | None = None,
    store: Store | None = None,
    password_hasher: Any | None = None,
) -> ApiServices:
    """Build every service of a server process from `settings`.

    `executor_factory`, `handlers`, `store` and `password_hasher` replace the defaults
    (tests use a thread pool, extra job kinds, a cheap hasher).
    """
    from vibetrading.bootstrap import build_backtests, build_market_data
    from vibetrading.services.copilot_runs import (
        COPILOT_BACKTEST_JOB,
        run_backtests_as_jobs,
        run_copilot_backtest_job,
    )
    from vibetrading.workers import JOB_HANDLERS, WorkerResources, in_process_runner, run_job

    is_multi = settings.multi_user if multi_user is None else multi_user
    effective = settings.model_copy(update={"multi_user": is_multi})
    secret = resolve_jwt_secret(effective)
    store = store or build_store(settings)
    market_data, backtests = build_market_data(settings), build_backtests(settings)
    here = WorkerResources(
        settings=settings, store=store, _cache={"market_data": market_data, "backtests": backtests}
    )
    jobs = JobService(
        store.jobs,
        runner=functools.partial(run_job, settings),
        handlers=handlers if handlers is not None else JOB_HANDLERS,
        executor_factory=executor_factory or executor_factory_for(settings),
        # a chat awaits its backtest: run it here, with no hop to a worker process
        in_process={COPILOT_BACKTEST_JOB: run_copilot_backtest_job},
        in_process_runner=in_process_runner(here),
    )
    copilot = _copilot(settings, store)
    if copilot is not None:
        run_backtests_as_jobs(copilot, jobs, store)
    return ApiServices(
        store=store,
        market_data=market_data,
        backtests=backtests,
        library=StrategyLibrary(store.strategies, check_code=_code_check()),
        jobs=jobs,
        runs=BacktestRunService(store, jobs),
        auth=AuthService(
            store.users,
            store.tokens,
            secret=secret,
            access_ttl_s=settings.access_token_ttl_s,
            refresh_ttl_s=settings.refresh_token_ttl_s,
            hasher=password_hasher,
        ),
        copilot=copilot,
        multi_user=is_multi,
    )
