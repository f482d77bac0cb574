"""Use the second core: normalise locations and services in a forked process while the
parent normalises, matches and writes the organizations.

Normalisation is pure CPU work on records the child already has (fork shares the batch
copy-on-write); only its results travel back, pickled through a pipe (a few percent of the
work). The parent reads them when it reaches the locations. Below ``min_records`` records,
or where fork is unavailable, everything runs in-process.
"""

from __future__ import annotations

import multiprocessing
import pickle
import traceback
from collections import Counter
from typing import Any

from importers.geocode import Geocoder
from importers.records import Batch
from importers.transform import Prepared
from importers.transform import Prepared3
from importers.transform import Transformer
from socialmap.gazetteer import Gazetteer

CHILD_KINDS = ("location", "service")

#: Below this many location + service records a second process costs more than it saves.
MIN_RECORDS = 5000


def transform_batch(
    batch: Batch, gazetteer: Gazetteer, geocoder: Geocoder, min_records: int = MIN_RECORDS
) -> Prepared3 | _Pending:
    """Normalise ``batch``; the result's ``of(kind)`` may wait for the child process."""
    big = len(batch.locations) + len(batch.services) >= min_records
    # An online geocoder keeps a cache connection and a rate limit that must not be shared.
    online = bool(geocoder.nominatim_url)
    if not big or online or "fork" not in multiprocessing.get_all_start_methods():
        return Transformer(batch, gazetteer, geocoder).run()
    return _Pending(batch, gazetteer, geocoder)


class _Pending:
    """Organizations now; locations and services from the child when first asked for."""

    def __init__(self, batch: Batch, gazetteer: Gazetteer, geocoder: Geocoder) -> None:
        ctx = multiprocessing.get_context("fork")
        self._reader, writer = ctx.Pipe(duplex=False)
        self._child = ctx.Process(
            target=_child_main, args=(batch, gazetteer, geocoder, writer), daemon=True
        )
        self._child.start()
        writer.close()
        self.batch = batch
        self.transformer = Transformer(batch, gazetteer, geocoder)
        self.own = self.transformer.run_kinds(("organization",))
        self.theirs: Prepared3 | None = None

    def of(self, kind: str) -> list[Prepared]:
        if kind in CHILD_KINDS:
            return self._collect().of(kind)
        return self.own.of(kind)

    @property
    def rejected(self) -> set[tuple[str, str]]:
        return self.own.rejected | self._collect().rejected

    def close(self) -> None:
        """Stop the child if its result was never collected (the run failed early)."""
        if self.theirs is None and self._child.is_alive():
            self._child.terminate()
            self._child.join()
        self._reader.close()

    def _collect(self) -> Prepared3:
        if self.theirs is None:
            try:
                payload = pickle.loads(self._reader.recv_bytes())
            except EOFError:
                payload = ("error", "the normalising process ended without a result")
            finally:
                self._child.join()
                self._reader.close()
            if payload[0] == "error":
                raise RuntimeError(f"normalising locations and services failed: {payload[1]}")
            _, theirs, issues, unmapped = payload
            self.batch.issues.extend(issues)
            self.transformer.unmapped.update(unmapped)
            self.transformer.finish()
            self.theirs = theirs
        return self.theirs


def _child_main(batch: Batch, gazetteer: Gazetteer, geocoder: Geocoder, writer: Any) -> None:
    try:
        start = len(batch.issues)
        transformer = Transformer(batch, gazetteer, geocoder)
        part = transformer.run_kinds(CHILD_KINDS)
        unmapped: Counter[tuple[str, str]] = transformer.unmapped
        payload: tuple[Any, ...] = ("ok", part, batch.issues[start:], unmapped)
    except Exception:  # reported to the parent, which fails the run
        payload = ("error", traceback.format_exc(limit=5))
    writer.send_bytes(pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    writer.close()
