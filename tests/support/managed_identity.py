"""A loopback stand-in for the App Service / Azure Functions managed identity endpoint.

In Azure the Functions host serves managed identity tokens on a local endpoint it names in
``IDENTITY_ENDPOINT`` and guards with the secret in ``IDENTITY_HEADER``: a client sends
``GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=...&client_id=...`` with the header
``X-IDENTITY-HEADER: {IDENTITY_HEADER}`` and gets ``{"access_token", "expires_on", "resource",
"token_type", "client_id"}`` back. That endpoint is a true external boundary (Entra behind the
platform); this server speaks the same protocol on ``127.0.0.1`` in a background thread so the
real client code (MSAL's ``ManagedIdentityClient``, used by the Bot Framework SDK) runs::

    with ManagedIdentityEndpoint(keys) as identity:
        monkeypatch.setenv("IDENTITY_ENDPOINT", identity.endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", identity.secret)

Tokens are minted by a :class:`~tests.support.keyserver.KeyServer` (``aud`` = the requested
resource, ``appid`` = the requested client id), so a test can verify what reached the connector.
Only identities listed in ``client_ids`` get tokens; any other client id, a missing or wrong
header, or ``refuse=True`` gets the platform's error answer (400/401 with a JSON message).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.keyserver import KeyServer

__all__ = ["IDENTITY_API_VERSION", "ManagedIdentityEndpoint", "TokenRequest"]

IDENTITY_API_VERSION = "2019-08-01"
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"


@dataclass(frozen=True)
class TokenRequest:
    """One request the endpoint received."""

    path: str
    query: dict[str, str]
    identity_header: str | None
    status: int


class ManagedIdentityEndpoint:
    """The ``IDENTITY_ENDPOINT`` protocol on loopback; records every request in :attr:`requests`."""

    def __init__(self, keys: KeyServer, *, client_ids: Collection[str], tenant_id: str) -> None:
        self.keys = keys
        self.client_ids = frozenset(client_ids)
        self.tenant_id = tenant_id
        self.secret = uuid.uuid4().hex
        self.lifetime_seconds = 3600
        self.refuse = False
        self.requests: list[TokenRequest] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ManagedIdentityEndpoint:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="identity-endpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ManagedIdentityEndpoint:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The value of ``IDENTITY_ENDPOINT``."""
        if self._server is None:
            raise RuntimeError("the identity endpoint is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}/msi/token"

    def issued(self) -> list[TokenRequest]:
        """The requests answered with a token."""
        return [request for request in self.requests if request.status == 200]

    def _answer(self, query: dict[str, str], header: str | None) -> tuple[int, dict[str, Any]]:
        if header != self.secret:
            return 401, {"statusCode": 401, "message": "Unauthorized: the X-IDENTITY-HEADER is missing or wrong"}
        if query.get("api-version") != IDENTITY_API_VERSION or not query.get("resource"):
            return 400, {"statusCode": 400, "message": "api-version and resource are required"}
        client_id = query.get("client_id", "")
        if self.refuse or client_id not in self.client_ids:
            return 400, {"statusCode": 400, "message": f"No managed identity with client id {client_id!r}"}
        expires_on = int(time.time()) + self.lifetime_seconds
        token = self.keys.issue_token(
            audience=query["resource"],
            service_url=None,
            issuer=ENTRA_ISSUER.format(tenant=self.tenant_id),
            expires_in=self.lifetime_seconds,
            extra_claims={"appid": client_id, "tid": self.tenant_id, "idtyp": "app"},
        )
        return 200, {
            "access_token": token,
            "expires_on": str(expires_on),
            "resource": query["resource"],
            "token_type": "Bearer",
            "client_id": client_id,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
                header = self.headers.get("X-IDENTITY-HEADER")
                if parts.path != "/msi/token":
                    status, payload = 404, {"statusCode": 404, "message": "not found"}
                else:
                    status, payload = endpoint._answer(query, header)
                endpoint.requests.append(TokenRequest(parts.path, query, header, status))
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler
