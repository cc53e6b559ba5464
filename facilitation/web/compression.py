"""gzip for text responses: a phone's first load (scripts, styles, catalogue) is mostly text,
and a room's Wi-Fi is often weak. Static files are compressed once per version and cached."""
from __future__ import annotations

import gzip
from functools import lru_cache

from flask import Flask, Response, request

COMPRESSIBLE = ("text/", "application/json", "application/javascript", "image/svg+xml")
MIN_BYTES = 1024


@lru_cache(maxsize=64)
def _gzipped(key: tuple, data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def register_compression(app: Flask) -> None:
    @app.after_request
    def compress(response: Response) -> Response:
        if (
            "gzip" not in request.headers.get("Accept-Encoding", "")
            or response.status_code != 200
            or "Content-Encoding" in response.headers
            or not (response.mimetype or "").startswith(COMPRESSIBLE)
            or request.path.startswith("/socket.io")
        ):
            return response
        response.direct_passthrough = False
        data = response.get_data()
        if len(data) < MIN_BYTES:
            return response
        etag = response.headers.get("ETag")
        # Versioned files (ETag) are compressed once; pages are small and made per request.
        body = _gzipped((request.path, etag), data) if etag else gzip.compress(data, compresslevel=6, mtime=0)
        response.set_data(body)
        response.headers["Content-Encoding"] = "gzip"
        response.headers["Content-Length"] = str(len(body))
        response.vary.add("Accept-Encoding")
        return response
