"""Use the second core: normalise the whole batch in a forked process while the parent loads
what it needs from the database, matches and writes.

Normalisation is pure CPU work on records the child already has (fork shares the batch
copy-on-write). The child sends its results back in chunks, in the order the parent uses
them (organizations, locations, services), so the parent starts matching the first
organizations while the child still normalises the rest. A thread in the parent reads the
pipe as data arrives (the child never waits on a full pipe while the parent is busy
writing); the parent unpickles a chunk when it reaches it. When the child is ahead of the
parent it also computes the matching keys of new records (:class:`AheadKeys`). Below
``min_records`` records, or where fork is unavailable, everything runs in-process.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
import threading
import traceback
from collections.abc import Iterator
from typing import Any

from importers.geocode import Geocoder
from importers.match_profiles import AheadKeys
from importers.records import Batch
from importers.transform import KINDS
from importers.transform import Prepared
from importers.transform import Prepared3
from importers.transform import Transformer
from socialmap.gazetteer import Gazetteer

#: Below this many records a second process costs more than it saves.
MIN_RECORDS = 5000

#: Records per message from the child: small enough that the parent starts early, big
#: enough that pickling overhead per message does not matter.
CHUNK = 1000


def transform_batch(
    batch: Batch,
    gazetteer: Gazetteer,
    geocoder: Geocoder,
    min_records: int = MIN_RECORDS,
    ids: dict[str, list[str]] | None = None,
) -> Prepared3 | _Forked:
    """Normalise ``batch``; the result's ``iter(kind)`` may wait for the child process.

    With ``ids`` (per kind, the entity id of each record of the batch if it is new), the
    child also computes matching keys ahead (:class:`AheadKeys`) when it is ahead of the
    parent."""
    big = len(batch.organizations) + len(batch.locations) + len(batch.services) >= min_records
    # An online geocoder keeps a cache connection and a rate limit that must not be shared.
    online = bool(geocoder.nominatim_url)
    if not big or online or "fork" not in multiprocessing.get_all_start_methods():
        return Transformer(batch, gazetteer, geocoder).run()
    return _Forked(batch, gazetteer, geocoder, ids)


class _Forked:
    """Prepared records as the child process delivers them.

    Issues the child reports are inserted where in-process normalisation would have put
    them (after the reader's issues, before any the parent adds while merging), so the
    issue list is the same either way.
    """

    def __init__(
        self,
        batch: Batch,
        gazetteer: Gazetteer,
        geocoder: Geocoder,
        ids: dict[str, list[str]] | None,
    ) -> None:
        ctx = multiprocessing.get_context("fork")
        reader, writer = ctx.Pipe(duplex=False)
        # How many messages the parent has taken: tells the child whether it is ahead.
        self._taken = ctx.Value("l", 0, lock=False)
        self._child = ctx.Process(
            target=_child_main,
            args=(batch, gazetteer, geocoder, ids, self._taken, writer),
            daemon=True,
        )
        self._child.start()
        writer.close()
        self.batch = batch
        self._issue_at = len(batch.issues)
        self._records: dict[str, list[Prepared]] = {kind: [] for kind in KINDS}
        self._complete: set[str] = set()
        self._rejected: set[tuple[str, str]] = set()
        self._finished = False
        self._messages: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._reader = reader
        self._pump = threading.Thread(target=self._read_pipe, daemon=True)
        self._pump.start()

    def _read_pipe(self) -> None:
        """Thread: move messages from the pipe into the queue (None = the pipe closed)."""
        try:
            while True:
                self._messages.put(self._reader.recv_bytes())
        except (EOFError, OSError):
            pass  # the child finished (or was stopped) and closed its end
        finally:
            self._messages.put(None)

    def iter(self, kind: str) -> Iterator[Prepared]:
        records = self._records[kind]
        i = 0
        while True:
            while i < len(records):
                yield records[i]
                i += 1
            if kind in self._complete:
                return
            self._receive()

    def of(self, kind: str) -> list[Prepared]:
        for _ in self.iter(kind):
            pass
        return self._records[kind]

    @property
    def rejected(self) -> set[tuple[str, str]]:
        while not self._finished:
            self._receive()
        return self._rejected

    def close(self) -> None:
        """Stop the child if it has not finished (the run failed early)."""
        if self._child.is_alive():
            self._child.terminate()
        self._child.join()
        self._pump.join()
        self._reader.close()

    def _receive(self) -> None:
        """Take the next message from the child; raise if it failed."""
        if self._finished:
            raise RuntimeError("normalising process: no more records")
        data = self._messages.get()
        self._taken.value += 1
        payload = (
            ("error", "the normalising process ended without a result")
            if data is None
            else pickle.loads(data)
        )
        if payload[0] == "error":
            self._finished = True
            raise RuntimeError(f"normalising the records failed: {payload[1]}")
        _, kind, records, rejected, issues, last = payload
        self.batch.issues[self._issue_at : self._issue_at] = issues
        self._issue_at += len(issues)
        self._records[kind].extend(records)
        self._rejected.update((kind, external_id) for external_id in rejected)
        if last:
            self._complete.add(kind)
            self._finished = len(self._complete) == len(KINDS)


def _child_main(
    batch: Batch,
    gazetteer: Gazetteer,
    geocoder: Geocoder,
    ids: dict[str, list[str]] | None,
    taken: Any,
    writer: Any,
) -> None:
    messages = 0

    def send(payload: tuple[Any, ...]) -> None:
        nonlocal messages
        writer.send_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
        messages += 1

    try:
        sent = len(batch.issues)

        def new_issues() -> list[Any]:
            nonlocal sent
            out = batch.issues[sent:]
            sent = len(batch.issues)
            return out

        transformer = Transformer(batch, gazetteer, geocoder)
        ahead = AheadKeys(batch, ids) if ids is not None else None
        for kind in KINDS:
            records: list[Prepared] = []
            rejected: list[str] = []
            for external_id, prepared in transformer.each(kind):
                if prepared is None:
                    rejected.append(external_id)
                    continue
                records.append(prepared)
                if len(records) >= CHUNK:
                    _add_keys(ahead, records, messages - taken.value)
                    send(("chunk", kind, records, rejected, new_issues(), False))
                    records, rejected = [], []
            _add_keys(ahead, records, messages - taken.value)
            if kind == KINDS[-1]:
                transformer.finish()  # its warnings come with the last records
            send(("chunk", kind, records, rejected, new_issues(), True))
    except Exception:  # reported to the parent, which fails the run
        send(("error", traceback.format_exc(limit=5)))
    writer.close()


def _add_keys(ahead: AheadKeys | None, records: list[Prepared], backlog: int) -> None:
    """Compute the records' matching keys, unless the parent waits for them: then it is
    quicker that the parent computes the keys itself. ``ahead`` must see every record (it
    remembers the ids organizations and locations will have) but computes keys only
    when asked."""
    if ahead is None:
        return
    compute = backlog > 0  # a message the parent has not taken yet: the parent is behind
    for rec in records:
        ahead.add(rec, compute)
