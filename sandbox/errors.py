"""ARM error responses: one exception type carrying the status, ARM error code and message."""

from __future__ import annotations

from typing import Any

from aiohttp import web

__all__ = ["ArmError", "arm_error_body", "default_error_code"]

_DEFAULT_CODES: dict[int, str] = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    405: "MethodNotAllowed",
    409: "OperationNotAllowed",
    412: "PreconditionFailed",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def default_error_code(status: int) -> str:
    """The ARM error code the sandbox uses for ``status`` when nothing more specific applies."""
    return _DEFAULT_CODES.get(status, "SandboxFault")


def arm_error_body(code: str, message: str, target: str | None = None) -> dict[str, Any]:
    """An ARM error body: ``{"error": {"code": ..., "message": ...}}``."""
    error: dict[str, Any] = {"code": code, "message": message}
    if target:
        error["target"] = target
    return {"error": error}


class ArmError(Exception):
    """An ARM-shaped error answer. Raised anywhere in a handler; the app turns it into a response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.headers = dict(headers or {})

    def to_response(self) -> web.Response:
        """The JSON response ARM would send."""
        return web.json_response(
            arm_error_body(self.code, self.message, self.target), status=self.status, headers=self.headers
        )

    @classmethod
    def bad_request(cls, message: str, *, code: str = "InvalidParameter", target: str | None = None) -> ArmError:
        """A 400 for an invalid request body or parameter."""
        return cls(400, code, message, target=target)

    @classmethod
    def not_allowed(cls, message: str) -> ArmError:
        """A 409 ``OperationNotAllowed``: a conflicting operation runs, or the resource state forbids it."""
        return cls(409, "OperationNotAllowed", message)

    @classmethod
    def resource_not_found(cls, resource_type: str, name: str, resource_group: str) -> ArmError:
        """A 404 ``ResourceNotFound`` worded as ARM words it."""
        return cls(
            404,
            "ResourceNotFound",
            f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not found. "
            "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        )
