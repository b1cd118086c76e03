"""A loopback stand-in for the Bot Framework / Entra signing-key endpoints, and a token minter.

The Bot Framework SDK validates the JWT on every incoming request against OpenID
metadata and a JWKS it downloads with a *blocking* ``requests.get``. This server
runs in its own thread (``http.server``), so the SDK can fetch keys from it even
while the test's event loop is waiting for the bot::

    with KeyServer() as keys:
        env = {**base_env, "MicrosoftAppId": APP_ID, **keys.settings_env()}
        header = keys.authorization(audience=APP_ID, service_url=activity["serviceUrl"])

Tokens are signed with the server's own RSA key (PyJWT); keyword arguments of
:meth:`KeyServer.issue_token` produce the bad tokens a test needs (another key with
the same ``kid``, an unknown ``kid``, expired, wrong audience or issuer, HS256,
``alg: none``, any claim left out with ``omit``). :meth:`KeyServer.emulator_authorization`
mints the tokens the Bot Framework Emulator sends (issued by the botframework.com tenant, with
``ver`` and ``appid``/``azp``); :meth:`KeyServer.settings_env` points the SDK's Emulator
validation at this server too.

Outgoing calls (bot -> Bot Connector) need an Entra access token too; Entra cannot be
reached here and MSAL only talks to HTTPS authorities it can discover, so
:meth:`KeyServer.credentials_factory` returns an SDK ``ServiceClientCredentialsFactory``
whose credentials carry tokens minted by this server instead.

Note: the SDK caches OpenID metadata in a class-level dict keyed by URL; each
``KeyServer`` listens on a new port, so each one gets a fresh cache entry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Collection, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from botframework.connector.auth import AppCredentials, ServiceClientCredentialsFactory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["BOT_FRAMEWORK_ISSUER", "DEFAULT", "EMULATOR_ISSUERS", "KeyServer", "new_rsa_key"]

BOT_FRAMEWORK_ISSUER = "https://api.botframework.com"
# The botframework.com tenant's v1 and v2 issuers, as the SDK lists them for Emulator tokens.
EMULATOR_ISSUERS = {
    "1.0": "https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/",
    "2.0": "https://login.microsoftonline.com/d6d49420-f39b-4df7-a1dc-d59a935871db/v2.0",
}
DEFAULT: Any = object()  # sentinel: "use the server's own value"


def new_rsa_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit RSA key (for forged or unknown-key tokens)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class KeyServer:
    """OpenID metadata + JWKS on ``127.0.0.1`` in a background thread; mints tokens with its key."""

    def __init__(
        self,
        *,
        issuer: str = BOT_FRAMEWORK_ISSUER,
        endorsements: tuple[str, ...] = ("msteams", "webchat", "emulator"),
    ) -> None:
        self.issuer = issuer
        self.endorsements = endorsements
        self.key = new_rsa_key()
        self.key_id = uuid.uuid4().hex
        self.fetches: list[str] = []  # paths requested, in order
        self.response_delay = 0.0  # seconds each answer waits (a slow key endpoint)
        # While set, every answer waits for this event (at most ``gate_timeout`` s): a key endpoint
        # that answers only when the test says so. ``waiting`` counts requests that reached it.
        self.gate: threading.Event | None = None
        self.gate_timeout = 60.0
        self.waiting = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> KeyServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="key-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.gate is not None:
            self.gate.set()  # nothing stays held after the test
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> KeyServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the key server is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/openidconfiguration"

    @property
    def jwks_url(self) -> str:
        return f"{self.base_url}/v1/.well-known/keys"

    def settings_env(self) -> dict[str, str]:
        """App settings that point the SDK's token validation at this server."""
        return {
            "TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL": self.metadata_url,
            "TO_BOT_FROM_CHANNEL_TOKEN_ISSUER": self.issuer,
            "TO_BOT_FROM_EMULATOR_OPENID_METADATA_URL": self.metadata_url,
        }

    # ----------------------------------------------------------------- tokens
    def issue_token(
        self,
        *,
        audience: str,
        service_url: str | None,
        issuer: str = DEFAULT,
        key: rsa.RSAPrivateKey = DEFAULT,
        kid: str | None = DEFAULT,
        algorithm: str = "RS256",
        expires_in: float = 3600,
        extra_claims: Mapping[str, Any] | None = None,
        omit: Collection[str] = (),
    ) -> str:
        """A channel -> bot token. ``algorithm`` may be ``RS256``, ``HS256`` (keyed with the public key PEM,
        the classic algorithm-confusion attack) or ``none`` (unsigned). ``omit`` names claims to leave out."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer if issuer is DEFAULT else issuer,
            "aud": audience,
            "iat": now - 10,
            "nbf": now - 10,
            "exp": int(now + expires_in),
        }
        if service_url is not None:
            claims["serviceurl"] = service_url
        claims.update(extra_claims or {})
        for name in omit:
            claims.pop(name, None)
        headers: dict[str, Any] = {"typ": "JWT", "alg": algorithm}
        kid_value = self.key_id if kid is DEFAULT else kid
        if kid_value is not None:
            headers["kid"] = kid_value
        if algorithm == "RS256":
            signing_key = self.key if key is DEFAULT else key
            return jwt.encode(claims, signing_key, algorithm="RS256", headers=headers)
        signing_input = f"{_b64url(json.dumps(headers).encode())}.{_b64url(json.dumps(claims).encode())}"
        if algorithm == "none":
            return signing_input + "."
        if algorithm == "HS256":
            secret = self.public_pem()
            signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
            return f"{signing_input}.{_b64url(signature)}"
        raise ValueError(f"unsupported algorithm {algorithm!r}")

    def authorization(self, **kwargs: Any) -> str:
        """``Bearer <token>`` for :meth:`issue_token` arguments."""
        return f"Bearer {self.issue_token(**kwargs)}"

    def emulator_authorization(
        self, app_id: str, *, version: str = "1.0", audience: str | None = None, omit: Collection[str] = ()
    ) -> str:
        """``Bearer <token>`` as the Bot Framework Emulator sends it: a client-credentials token of the
        bot's app for itself (``aud`` the app id unless ``audience`` says otherwise; ``appid`` for
        version 1.0, ``azp`` for 2.0), issued by the botframework.com tenant, no ``serviceurl``."""
        app_claim = "appid" if version == "1.0" else "azp"
        return self.authorization(
            audience=app_id if audience is None else audience,
            service_url=None,
            issuer=EMULATOR_ISSUERS[version],
            extra_claims={"ver": version, app_claim: app_id},
            omit=omit,
        )

    def public_pem(self) -> bytes:
        return self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update({"kid": self.key_id, "use": "sig", "alg": "RS256", "endorsements": list(self.endorsements)})
        return {"keys": [jwk]}

    def credentials_factory(self, app_id: str) -> ServiceClientCredentialsFactory:
        """An SDK credentials factory for outgoing calls whose access tokens this server mints."""
        return _KeyServerCredentialsFactory(self, app_id)

    # ----------------------------------------------------------------- HTTP
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches.append(self.path)
                if server.gate is not None:
                    server.waiting += 1
                    server.gate.wait(server.gate_timeout)
                if server.response_delay:
                    time.sleep(server.response_delay)
                if self.path.endswith("/openidconfiguration") or self.path.endswith("/openid-configuration"):
                    payload: dict[str, Any] = {
                        "issuer": server.issuer,
                        "jwks_uri": server.jwks_url,
                        "id_token_signing_alg_values_supported": ["RS256"],
                        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                    }
                elif self.path.endswith("/keys"):
                    payload = server.jwks()
                else:
                    self.send_error(404)
                    return
                body = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


class _KeyServerAppCredentials(AppCredentials):
    """App credentials whose access token comes from the key server instead of Entra."""

    def __init__(self, keys: KeyServer, app_id: str, oauth_scope: str | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=oauth_scope)
        self._keys = keys
        self.tokens_issued = 0

    def get_access_token(self, force_refresh: bool = False) -> str:
        self.tokens_issued += 1
        return self._keys.issue_token(
            audience=self.oauth_scope,
            service_url=None,
            issuer="https://login.microsoftonline.com/botframework.com/v2.0",
            extra_claims={"appid": self.microsoft_app_id},
        )


class _KeyServerCredentialsFactory(ServiceClientCredentialsFactory):
    def __init__(self, keys: KeyServer, app_id: str) -> None:
        self._keys = keys
        self._app_id = app_id

    async def is_valid_app_id(self, app_id: str) -> bool:
        return app_id == self._app_id

    async def is_authentication_disabled(self) -> bool:
        return not self._app_id

    async def create_credentials(
        self, app_id: str, oauth_scope: str, login_endpoint: str, validate_authority: bool
    ) -> AppCredentials:
        if app_id != self._app_id:
            raise PermissionError("Invalid app_id")
        return _KeyServerAppCredentials(self._keys, app_id, oauth_scope)
