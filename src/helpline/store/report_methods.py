"""The ReportStore methods, written once for every backend."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from helpline.store.base import Event
from helpline.store.operation import OperationRunner, Result


class ReportOps(Protocol):
    """What a backend's reports module (sqlite_reports, postgres_reports) provides."""

    def report_events(self, conn: Any, since: float, until: float, /) -> Result[list[Event]]: ...

    def outbox_counts(self, conn: Any, /) -> Result[dict[str, int]]: ...


class ReportMethods(OperationRunner):
    """Mixed into a store, which names its operations in `_report_ops`."""

    _report_ops: ClassVar[ReportOps]

    async def report_events(self, since: float, until: float) -> list[Event]:
        return await self._run(self._report_ops.report_events, since, until)

    async def outbox_counts(self) -> Mapping[str, int]:
        return await self._run(self._report_ops.outbox_counts)
