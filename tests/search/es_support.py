"""Test-only helpers for talking to osmem with the Elasticsearch 8 client.

The 8.x client sends versioned media types (``application/vnd.elasticsearch+json;
compatible-with=8``) that osmem, an OpenSearch-compatible server, rejects. This node
class rewrites them to the plain types on the way out. Production code never needs it:
Elasticsearch understands its own media types.
"""

from __future__ import annotations

from typing import Any

from elastic_transport import HttpHeaders
from elastic_transport import Urllib3HttpNode
from elastic_transport._node import NodeApiResponse
from elasticsearch import Elasticsearch

PLAIN_MEDIA_TYPES = {
    "application/vnd.elasticsearch+json; compatible-with=8": "application/json",
    "application/vnd.elasticsearch+x-ndjson; compatible-with=8": "application/x-ndjson",
}


class PlainMediaTypeNode(Urllib3HttpNode):
    """An urllib3 node sending ``application/json`` instead of the versioned types."""

    def perform_request(
        self,
        method: str,
        target: str,
        body: bytes | None = None,
        headers: HttpHeaders | None = None,
        **kwargs: Any,
    ) -> NodeApiResponse:
        if headers is not None:
            headers = HttpHeaders(headers)
            for name in ("accept", "content-type"):
                value = headers.get(name)
                if value in PLAIN_MEDIA_TYPES:
                    headers[name] = PLAIN_MEDIA_TYPES[value]
        return super().perform_request(method, target, body=body, headers=headers, **kwargs)


def osmem_client(url: str) -> Elasticsearch:
    """An Elasticsearch client for an osmem server at ``url``."""
    return Elasticsearch(url, node_class=PlainMediaTypeNode, request_timeout=30)
