"""The Elasticsearch search backend (see :mod:`search.elastic.backend`)."""

from __future__ import annotations

from search.elastic.backend import ElasticsearchBackend

__all__ = ["ElasticsearchBackend"]
