"""Azure RBAC operation names of recorded ARM requests, to check what an action declares it does.

ARM authorizes every request as one operation: ``{namespace}/{type}[/{child type}…]/{read|write|delete}``
for a resource (or a collection of it), ``…/{action}/action`` for a POST to an action. This maps
the sandbox's request log (method, path) onto those names the way ARM does.
"""

from __future__ import annotations

__all__ = ["arm_operation"]

_VERBS = {"GET": "read", "HEAD": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}


def arm_operation(method: str, path: str) -> str:
    """The RBAC operation ARM checks for ``method`` on ``path`` (``/subscriptions/…``, no query).

    ``GET …/providers/Microsoft.Compute/virtualMachines/vm1/instanceView`` →
    ``Microsoft.Compute/virtualMachines/instanceView/read``; ``POST …/virtualMachines/vm1/start`` →
    ``Microsoft.Compute/virtualMachines/start/action``; a path without a provider is
    ``Microsoft.Resources/subscriptions[/resourceGroups]/…``. Raises ValueError for another method.
    """
    parts = [part for part in path.split("/") if part]
    lowered = [part.lower() for part in parts]
    if "providers" in lowered:
        at = len(lowered) - 1 - lowered[::-1].index("providers")
        namespace, rest = parts[at + 1], parts[at + 2:]
    else:
        namespace, rest = "Microsoft.Resources", parts
    types = rest[0::2]  # type, name, child type, name, …: a POST's last segment is its action
    if method == "POST":
        return "/".join([namespace, *types, "action"])
    if method not in _VERBS:
        raise ValueError(f"no RBAC operation for {method} {path}")
    return "/".join([namespace, *types, _VERBS[method]])
