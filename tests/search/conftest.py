"""Search fixtures: an Elasticsearch client and backend per test.

With ``SOCIALMAP_TEST_ELASTICSEARCH_URL`` set, tests use that server and delete their
indexes afterwards. Otherwise one osmem server (in-memory, OpenSearch-compatible) runs
for the session and every test gets a fresh clone of it. If osmem cannot start, the tests
fail: a search backend that is never tested must not look green.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch
from es_support import osmem_client

from search.elastic import ElasticsearchBackend

TEST_INDEX = "socialmap-test"


@pytest.fixture(scope="session")
def _osmem_server() -> Iterator[object]:
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    yield server
    server.close()
    # OsmemServer.close() leaves the stdout pipe open: close it, or its ResourceWarning
    # fails the session under filterwarnings=error.
    if server.process.stdout is not None:
        server.process.stdout.close()


@pytest.fixture
def elasticsearch_client(request: pytest.FixtureRequest) -> Iterator[Elasticsearch]:
    """A client on an empty cluster (a fresh osmem clone, or the configured server)."""
    url = os.environ.get("SOCIALMAP_TEST_ELASTICSEARCH_URL")
    if url:
        client = Elasticsearch(url, request_timeout=30)
        try:
            yield client
        finally:
            # By name: Elasticsearch 8 refuses wildcard deletes by default.
            names = client.indices.get(index=f"{TEST_INDEX}*", expand_wildcards="all")
            for name in names.body:
                client.options(ignore_status=404).indices.delete(index=name)
            client.close()
        return
    server = request.getfixturevalue("_osmem_server")
    clone = server.clone()  # type: ignore[attr-defined]
    client = osmem_client(clone.url)
    try:
        yield client
    finally:
        client.close()
        clone.close()


@pytest.fixture
def elastic_backend(elasticsearch_client: Elasticsearch) -> ElasticsearchBackend:
    """An Elasticsearch backend over the alias ``socialmap-test``."""
    url = elasticsearch_client.transport.node_pool.all()[0].base_url
    return ElasticsearchBackend(url, TEST_INDEX, elasticsearch_client)
