"""The interface every search backend implements, and how one is chosen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from search.document import IndexDocument
from search.needs import NeedVocabulary
from search.query import Query
from search.query import Results


class IndexUnavailable(RuntimeError):
    """The index cannot answer (wrong file format, server down); the message says what to do."""


@dataclass
class Suggestion:
    """An autocomplete option: a need (``code`` is the taxonomy code) or an organisation."""

    kind: str  # need | organization
    label: str
    code: str | None = None
    organization_id: str | None = None


class SearchBackend(Protocol):
    """A search index over :class:`IndexDocument` s.

    Writes are idempotent by document id. ``rebuild`` replaces the whole index atomically:
    searches running meanwhile see the old index until the new one is complete.
    """

    name: str

    def rebuild(self, documents: Iterable[IndexDocument], vocabulary: NeedVocabulary) -> int:
        """Replace the index with ``documents``; returns how many were indexed."""
        ...

    def upsert(self, documents: Iterable[IndexDocument]) -> int:
        """Add or replace documents by id."""
        ...

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id (unknown ids are ignored)."""
        ...

    def delete_services(self, service_ids: Iterable[str]) -> int:
        """Remove every document of these services."""
        ...

    def search(self, query: Query) -> Results:
        """Filter, score, count, facet and page."""
        ...

    def suggest(self, prefix: str, lang: str = "nl", size: int = 8) -> list[Suggestion]:
        """Needs and organisation names starting with (or close to) ``prefix``."""
        ...

    def ids(self) -> set[str]:
        """Every document id in the index (for ``flask search check``)."""
        ...

    def stats(self) -> dict[str, Any]:
        """Document count, build time and backend details for health checks."""
        ...


def make_backend(kind: str, **options: Any) -> SearchBackend:
    """Backend by name: ``embedded`` (``path=``) or ``elasticsearch`` (``url=``, ``index=``).

    :raise ValueError: unknown backend name.
    """
    if kind == "embedded":
        from search.embedded import EmbeddedBackend

        return EmbeddedBackend(options["path"])
    if kind == "elasticsearch":
        from search.elastic import ElasticsearchBackend

        return ElasticsearchBackend(
            options["url"], options.get("index", "socialmap-services"), options.get("client")
        )
    raise ValueError(f"unknown search backend {kind!r} (expected embedded or elasticsearch)")
