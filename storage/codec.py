"""Tagged JSON for bot state, restricted to an explicit allow-list of classes.

The SDK's Blob and Cosmos storages use jsonpickle, which rebuilds *any* importable class
named in the stored data. This codec never imports anything while decoding: a stored value
can only name a class that is in the :class:`TypeRegistry` it was given, and it is rebuilt
without calling its constructor (``object.__new__`` + setting attributes). Anything else in
stored data fails with :class:`~storage.errors.SerializationError`.

Plain JSON values are stored as themselves, so stored state stays readable. Other values are
tagged objects with the key ``"$t"``:

``{"$t": "object", "c": NAME, "v": {attrs}}``  an allow-listed class (attributes from ``vars()``)
``{"$t": "enum", "c": NAME, "v": value}``      a member of an allow-listed Enum
``{"$t": "datetime" | "date" | "time", "v": iso}``, ``{"$t": "timedelta", "v": [d, s, us]}``,
``{"$t": "uuid", "v": str}``, ``{"$t": "bytes", "v": base64}``,
``{"$t": "tuple" | "set" | "frozenset", "v": [items]}``,
``{"$t": "dict", "v": [[key, value], ...]}``   a dict with non-string keys or a ``"$t"`` key.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import json
import uuid
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from storage.errors import SerializationError

__all__ = ["StateCodec", "TypeRegistry", "default_registry"]

TAG = "$t"
_Json = Any  # a JSON-compatible tree


class TypeRegistry:
    """An immutable allow-list of classes the codec may store and rebuild, by stable name."""

    def __init__(self, types: Mapping[str, type]) -> None:
        self._by_name = dict(types)
        self._by_type = {cls: name for name, cls in self._by_name.items()}

    def name_of(self, cls: type) -> str | None:
        """The stored name of ``cls`` (exact class, not subclasses), or None when it is not allowed."""
        return self._by_type.get(cls)

    def resolve(self, name: str) -> type | None:
        """The class registered under ``name``, or None. Never imports anything."""
        return self._by_name.get(name)

    def with_types(self, types: Iterable[type]) -> TypeRegistry:
        """A new registry that also allows ``types`` (named ``module.QualName``)."""
        merged = dict(self._by_name)
        for cls in types:
            if not isinstance(cls, type):
                raise ValueError(f"allowed types must be classes, got {cls!r}")
            merged.setdefault(f"{cls.__module__}.{cls.__qualname__}", cls)
        return TypeRegistry(merged)

    def __contains__(self, cls: object) -> bool:
        return cls in self._by_type


@cache
def default_registry() -> TypeRegistry:
    """Classes dialog state needs: dialog stack, prompt options, StoreItem, and botbuilder-schema models/enums."""
    import botbuilder.schema as schema
    import botbuilder.schema.teams as teams_schema
    from botbuilder.core import StoreItem
    from botbuilder.dialogs import DialogInstance, DialogState
    from botbuilder.dialogs.choices import Choice, ChoiceFactoryOptions, ListStyle
    from botbuilder.dialogs.prompts import PromptOptions
    from msrest.serialization import Model

    types: dict[str, type] = {
        "botbuilder.core.StoreItem": StoreItem,
        "botbuilder.dialogs.DialogState": DialogState,
        "botbuilder.dialogs.DialogInstance": DialogInstance,
        "botbuilder.dialogs.prompts.PromptOptions": PromptOptions,
        "botbuilder.dialogs.choices.Choice": Choice,
        "botbuilder.dialogs.choices.ChoiceFactoryOptions": ChoiceFactoryOptions,
        "botbuilder.dialogs.choices.ListStyle": ListStyle,
    }
    for module in (schema, teams_schema):
        for attr in dir(module):
            cls = getattr(module, attr)
            if not isinstance(cls, type) or not cls.__module__.startswith("botbuilder.schema"):
                continue
            if issubclass(cls, Model) or issubclass(cls, enum.Enum):
                types.setdefault(f"{module.__name__}.{attr}", cls)
    return TypeRegistry(types)


class StateCodec:
    """Encode values to tagged JSON text and back, allowing only the registry's classes."""

    def __init__(self, registry: TypeRegistry | None = None) -> None:
        self.registry = registry if registry is not None else default_registry()

    # -- public ---------------------------------------------------------------------------
    def to_tree(self, value: Any) -> _Json:
        """The JSON-compatible tree for ``value``; raises SerializationError for a type not allowed."""
        try:
            return self._encode(value)
        except RecursionError as exc:
            raise SerializationError("cannot store the value: it nests too deeply or refers to itself") from exc

    def from_tree(self, tree: _Json) -> Any:
        """Rebuild a value from a tree made by :meth:`to_tree`; raises SerializationError for anything else."""
        try:
            return self._decode(tree)
        except RecursionError as exc:
            raise SerializationError("stored value nests too deeply") from exc

    def dumps(self, value: Any) -> str:
        return self.tree_to_text(self.to_tree(value))

    def loads(self, text: str) -> Any:
        return self.from_tree(self.text_to_tree(text))

    @staticmethod
    def tree_to_text(tree: _Json) -> str:
        text = json.dumps(tree, ensure_ascii=False, separators=(",", ":"))
        try:
            text.encode("utf-16-le")
        except UnicodeEncodeError:  # a lone surrogate in a string: keep it as a \\u escape instead
            text = json.dumps(tree, ensure_ascii=True, separators=(",", ":"))
        return text

    @staticmethod
    def text_to_tree(text: str) -> _Json:
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise SerializationError("stored value is not valid JSON") from exc

    # -- encoding -------------------------------------------------------------------------
    def _encode(self, value: Any) -> _Json:
        kind = type(value)
        if value is None or kind in (bool, int, float, str):
            return value
        if kind is list:
            return [self._encode(item) for item in value]
        if kind is dict:
            if all(type(key) is str for key in value) and TAG not in value:
                return {key: self._encode(item) for key, item in value.items()}
            return {TAG: "dict", "v": [[self._encode(k), self._encode(v)] for k, v in value.items()]}
        if isinstance(value, enum.Enum):
            return {TAG: "enum", "c": self._name(kind), "v": self._encode(value.value)}
        simple = _encode_simple(value)
        if simple is not None:
            return simple
        if kind in (tuple, set, frozenset):
            return {TAG: kind.__name__, "v": [self._encode(item) for item in value]}
        name = self._name(kind)
        attrs = getattr(value, "__dict__", None)
        if not isinstance(attrs, dict):
            raise SerializationError(f"cannot store a {kind.__name__}: it has no attribute dictionary")
        return {TAG: "object", "c": name, "v": self._encode(dict(attrs))}

    def _name(self, kind: type) -> str:
        name = self.registry.name_of(kind)
        if name is None:
            raise SerializationError(
                f"cannot store a value of type {kind.__module__}.{kind.__qualname__}: it is not in the "
                "storage allow-list (pass it in allowed_types if it is plain data)"
            )
        return name

    # -- decoding -------------------------------------------------------------------------
    def _decode(self, node: _Json) -> Any:
        if isinstance(node, list):
            return [self._decode(item) for item in node]
        if not isinstance(node, dict):
            return node
        if TAG not in node:
            return {key: self._decode(item) for key, item in node.items()}
        tag = node[TAG]
        payload = node.get("v")
        if tag == "object":
            return self._decode_object(node.get("c"), payload)
        if tag == "enum":
            cls = self._resolve(node.get("c"))
            if not issubclass(cls, enum.Enum):
                raise SerializationError(f"stored enum names {node.get('c')!r}, which is not an enum")
            try:
                return cls(self._decode(payload))
            except ValueError as exc:
                raise SerializationError(f"stored value is not a member of {node.get('c')!r}") from exc
        if tag == "dict":
            return {_hashable(self._decode(k)): self._decode(v) for k, v in _pairs(payload)}
        if tag in ("tuple", "set", "frozenset"):
            items = [self._decode(item) for item in _items(payload)]
            if tag == "tuple":
                return tuple(items)
            hashable = [_hashable(item) for item in items]
            return set(hashable) if tag == "set" else frozenset(hashable)
        return _decode_simple(tag, payload)

    def _resolve(self, name: object) -> type:
        cls = self.registry.resolve(name) if isinstance(name, str) else None
        if cls is None:
            raise SerializationError(f"stored value names type {name!r}, which is not in the storage allow-list")
        return cls

    def _decode_object(self, name: object, payload: _Json) -> Any:
        cls = self._resolve(name)
        if issubclass(cls, enum.Enum) or not isinstance(payload, dict):
            raise SerializationError(f"stored object for {name!r} is malformed")
        attrs = self._decode(payload)
        if not isinstance(attrs, dict) or not all(isinstance(key, str) for key in attrs):
            raise SerializationError(f"stored object for {name!r} has malformed attributes")
        instance = object.__new__(cls)
        instance.__dict__.update(attrs)
        return instance


def _encode_simple(value: Any) -> _Json | None:
    kind = type(value)
    if kind is dt.datetime:
        return {TAG: "datetime", "v": value.isoformat()}
    if kind is dt.date:
        return {TAG: "date", "v": value.isoformat()}
    if kind is dt.time:
        return {TAG: "time", "v": value.isoformat()}
    if kind is dt.timedelta:
        return {TAG: "timedelta", "v": [value.days, value.seconds, value.microseconds]}
    if kind is uuid.UUID:
        return {TAG: "uuid", "v": str(value)}
    if kind is bytes:
        return {TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    return None


def _decode_simple(tag: object, payload: _Json) -> Any:
    try:
        if tag == "datetime":
            return dt.datetime.fromisoformat(payload)
        if tag == "date":
            return dt.date.fromisoformat(payload)
        if tag == "time":
            return dt.time.fromisoformat(payload)
        if tag == "timedelta":
            days, seconds, micros = payload
            return dt.timedelta(days=days, seconds=seconds, microseconds=micros)
        if tag == "uuid":
            return uuid.UUID(payload)
        if tag == "bytes":
            return base64.b64decode(payload, validate=True)
    except (TypeError, ValueError) as exc:
        raise SerializationError(f"stored {tag} value is malformed") from exc
    raise SerializationError(f"stored value has an unknown tag {tag!r}")


def _items(payload: _Json) -> list[Any]:
    if not isinstance(payload, list):
        raise SerializationError("stored collection is malformed")
    return payload


def _pairs(payload: _Json) -> list[tuple[Any, Any]]:
    pairs = _items(payload)
    if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
        raise SerializationError("stored dict is malformed")
    return [(pair[0], pair[1]) for pair in pairs]


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError as exc:
        raise SerializationError("stored dict key or set item is not hashable") from exc
    return value
