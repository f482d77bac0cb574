"""The Elasticsearch search backend: an alias over timestamped indexes.

``rebuild`` fills a new index ``<alias>-<UTC timestamp>`` and then moves the alias to it
in one ``update_aliases`` call, so searches see the old index until the new one is
complete. Writes go through the alias and wait for a refresh, so reads see them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch import NotFoundError
from elasticsearch.helpers import streaming_bulk

from search.backend import Suggestion
from search.document import IndexDocument
from search.elastic.mapping import index_mappings
from search.elastic.mapping import index_settings
from search.elastic.mapping import to_source
from search.elastic.querybuilder import search_body
from search.elastic.querybuilder import suggest_body
from search.elastic.querybuilder import vocabulary_body
from search.elastic.results import to_corrections
from search.elastic.results import to_results
from search.elastic.results import to_suggestions
from search.needs import NeedVocabulary
from search.query import Query
from search.query import Results

CHUNK = 500  # documents per bulk request
PAGE = 1000  # ids per page in ids()
SUGGEST_OVERFETCH = 5  # many documents per organisation: ask for more, keep one each


class ElasticsearchBackend:
    """Search over the alias ``index`` at ``url`` (or through a ready ``client``)."""

    name = "elasticsearch"

    def __init__(self, url: str, index: str, client: Elasticsearch | None = None) -> None:
        self.url = url
        self.alias = index
        self._owns_client = client is None
        self.client = client if client is not None else Elasticsearch(url, request_timeout=30)

    def close(self) -> None:
        """Close the client if this backend created it."""
        if self._owns_client:
            self.client.close()

    # -- writes ----------------------------------------------------------------------------

    def rebuild(self, documents: Iterable[IndexDocument], vocabulary: NeedVocabulary) -> int:
        """Fill a new index, swap the alias to it atomically, drop the old indexes."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        new = f"{self.alias}-{stamp}"
        self.client.indices.create(
            index=new, settings=index_settings(vocabulary), mappings=index_mappings()
        )
        try:
            count = self._bulk_index(new, documents, refresh=False)
            self.client.indices.refresh(index=new)
            old = self._concrete_indexes()
            if not old and self.client.indices.exists(index=self.alias):
                # A plain index squats the alias name (e.g. created by hand): it must go
                # before the name can become an alias.
                self.client.indices.delete(index=self.alias)
            actions: list[dict[str, Any]] = [
                {"remove": {"index": name, "alias": self.alias}} for name in old
            ]
            actions.append({"add": {"index": new, "alias": self.alias}})
            self.client.indices.update_aliases(actions=actions)
        except BaseException:
            self.client.options(ignore_status=404).indices.delete(index=new)
            raise
        for name in old:
            self.client.options(ignore_status=404).indices.delete(index=name)
        return count

    def upsert(self, documents: Iterable[IndexDocument]) -> int:
        """Add or replace documents by id (creates an empty index on first use)."""
        self._ensure_index()
        return self._bulk_index(self.alias, documents, refresh=True)

    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id; unknown ids are ignored."""
        wanted = list(dict.fromkeys(ids))
        if not wanted or not self._concrete_indexes():
            return 0
        actions = ({"_op_type": "delete", "_index": self.alias, "_id": i} for i in wanted)
        deleted = 0
        for ok, item in streaming_bulk(
            self.client,
            actions,
            chunk_size=CHUNK,
            raise_on_error=False,
            refresh="wait_for",
        ):
            result = item.get("delete", {})
            if ok and result.get("result") == "deleted":
                deleted += 1
            elif result.get("status") != 404:  # not found is fine; anything else is not
                raise RuntimeError(f"elasticsearch: delete failed: {result}")
        return deleted

    def delete_services(self, service_ids: Iterable[str]) -> int:
        """Remove every document of these services (``delete_by_query``)."""
        wanted = list(dict.fromkeys(service_ids))
        if not wanted or not self._concrete_indexes():
            return 0
        response = self.client.delete_by_query(
            index=self.alias,
            query={"terms": {"service_id": wanted}},
            refresh=True,
            conflicts="proceed",
        )
        return int(response.get("deleted", 0))

    def _bulk_index(self, index: str, documents: Iterable[IndexDocument], refresh: bool) -> int:
        actions = (
            {"_op_type": "index", "_index": index, "_id": doc.id, "_source": to_source(doc)}
            for doc in documents
        )
        options: dict[str, Any] = {"refresh": "wait_for"} if refresh else {}
        count = 0
        # raise_on_error: a rejected document must not pass silently.
        for ok, _item in streaming_bulk(self.client, actions, chunk_size=CHUNK, **options):
            count += int(ok)
        return count

    def _ensure_index(self) -> None:
        if not self._concrete_indexes():
            self.rebuild([], NeedVocabulary([]))

    def _concrete_indexes(self) -> list[str]:
        """The indexes behind the alias (none when it does not exist)."""
        try:
            response = self.client.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(response.body)

    # -- reads -----------------------------------------------------------------------------

    def search(self, query: Query) -> Results:
        """Filter, score, count, facet and page; no index yet means no results."""
        try:
            corrections = self._corrections(query)
            response = self.client.search(index=self.alias, **search_body(query, corrections))
        except NotFoundError:
            return Results(0, [], {}, query.page, query.per_page)
        results = to_results(response.body, query)
        # As the embedded backend: query word -> the stem searched instead.
        results.corrections = {  # type: ignore[attr-defined]
            word: next(iter(stems.values())) for word, stems in corrections.items() if stems
        }
        return results

    def _corrections(self, query: Query) -> dict[str, dict[str, str]]:
        """Closest indexed stems for query words the index does not know (one request,
        only when a word is long enough to have typos)."""
        words = [*query.terms, *query.residual_terms]
        body = vocabulary_body(words)
        if body is None:
            return {}
        response = self.client.search(index=self.alias, **body)
        return to_corrections(response.body, words)

    def suggest(self, prefix: str, lang: str = "nl", size: int = 8) -> list[Suggestion]:
        """Organisations with a name word starting with (or a typo away from) ``prefix``.

        Needs are suggested by the app from its vocabulary; ``lang`` is unused here.
        """
        body = suggest_body(prefix, size * SUGGEST_OVERFETCH)
        if body is None or size <= 0:
            return []
        try:
            response = self.client.search(index=self.alias, **body)
        except NotFoundError:
            return []
        return to_suggestions(response.body, prefix, size)

    def ids(self) -> set[str]:
        """Every document id, paged with ``search_after`` on the ``id`` field."""
        return set(self._iter_ids())

    def _iter_ids(self) -> Iterator[str]:
        after: list[Any] | None = None
        while True:
            extra: dict[str, Any] = {"search_after": after} if after is not None else {}
            try:
                response = self.client.search(
                    index=self.alias,
                    query={"match_all": {}},
                    sort=[{"id": {"order": "asc"}}],
                    size=PAGE,
                    source=False,
                    track_total_hits=False,
                    **extra,
                )
            except NotFoundError:
                return
            hits = response["hits"]["hits"]
            for hit in hits:
                yield hit["_id"]
            if len(hits) < PAGE:
                return
            after = hits[-1]["sort"]

    def stats(self) -> dict[str, Any]:
        """Document count and the concrete index behind the alias."""
        indexes = self._concrete_indexes()
        if not indexes:
            return {"backend": self.name, "documents": 0, "index": None, "alias": self.alias}
        count = self.client.count(index=self.alias)["count"]
        return {
            "backend": self.name,
            "documents": int(count),
            "index": indexes[-1] if len(indexes) == 1 else indexes,
            "alias": self.alias,
            "url": self.url,
        }
