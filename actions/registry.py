"""The action catalog: an explicit list of action modules, looked up by name or alias.

Adding an action = one module declaring ``ACTION``, its test, and one line in
:data:`ACTION_MODULES`. Modules are imported when the registry is built; importing this
module imports no Azure SDK (the actions import theirs lazily).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Iterator

from actions.spec import Action, phrasing_of

__all__ = ["ACTION_MODULES", "Registry", "RegistryError", "default_registry", "normalize"]

ACTION_MODULES: tuple[str, ...] = (
    "actions.aks_scale_node_pool",
    "actions.aks_set_autoscale",
    "actions.aks_start_cluster",
    "actions.aks_stop_cluster",
    "actions.vmss_set_capacity",
    "actions.vm_start",
    "actions.vm_deallocate",
    "actions.vm_restart",
    "actions.app_restart",
)
"""Every built-in action, in catalog order."""

_SEPARATORS = re.compile(r"[\s_-]+")


class RegistryError(ValueError):
    """The catalog is inconsistent (e.g. two actions claim the same name or alias)."""


def normalize(name: str) -> str:
    """Lookup key of a name or alias: case-insensitive; hyphens, underscores and spaces are equivalent."""
    return _SEPARATORS.sub(" ", name.strip().lower())


class Registry:
    """Actions by name, alias, natural phrase and synonym. All must be unique across the catalog.

    An action's lookup names are its :class:`~actions.spec.Phrasing` phrase, its name, its
    aliases, and each of those with its leading verb replaced by a declared synonym
    (:meth:`~actions.spec.Phrasing.names`).
    """

    def __init__(self, actions: Iterable[Action]) -> None:
        self._actions: tuple[Action, ...] = tuple(actions)
        self._by_key: dict[str, Action] = {}
        for action in self._actions:
            for word in phrasing_of(action).names((action.name, *action.aliases)):
                key = normalize(word)
                if not key:
                    raise RegistryError(f"action {action.name!r} declares an empty name or alias")
                other = self._by_key.get(key)
                if other is action:
                    raise RegistryError(f"action {action.name!r} declares {word!r} twice (as name or alias)")
                if other is not None:
                    raise RegistryError(
                        f"{word!r} of action {action.name!r} is already taken by action {other.name!r}"
                    )
                self._by_key[key] = action

    @classmethod
    def from_modules(cls, modules: Iterable[str]) -> Registry:
        """Import each module and collect its ``ACTION``."""
        actions = []
        for name in modules:
            module = importlib.import_module(name)
            action = getattr(module, "ACTION", None)
            if action is None:
                raise RegistryError(f"module {name} declares no ACTION")
            actions.append(action)
        return cls(actions)

    def get(self, name_or_alias: str) -> Action | None:
        """The action with this name or alias (see :func:`normalize`), or None."""
        return self._by_key.get(normalize(name_or_alias))

    def lookup_keys(self) -> tuple[str, ...]:
        """Every normalized name, alias, phrase and synonym, e.g. for prefix matching and did-you-mean."""
        return tuple(self._by_key)

    def spelled(self, key: str) -> str:
        """How the lookup name ``key`` (normalized) is written in its declaration, e.g. ``vm-start``."""
        action = self._by_key.get(normalize(key))
        if action is None:
            return key
        for word in phrasing_of(action).names((action.name, *action.aliases)):
            if normalize(word) == normalize(key):
                return word
        return key

    def __iter__(self) -> Iterator[Action]:
        """Actions in catalog order (the order they were given)."""
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def __contains__(self, name_or_alias: object) -> bool:
        return isinstance(name_or_alias, str) and normalize(name_or_alias) in self._by_key


def default_registry() -> Registry:
    """The built-in catalog (:data:`ACTION_MODULES`)."""
    return Registry.from_modules(ACTION_MODULES)
