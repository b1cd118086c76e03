"""msrest's ``Serializer`` without the per-attribute work that changes nothing for unset attributes.

The connector client serializes every reply with ``Serializer.body(activity, "Activity")``: a
validation pass, then the serialization. ``Activity`` has about 45 attributes and a reply sets
about ten; for each unset one msrest still formats a name and runs a validator (validation),
and splits the attribute's key, copies its metadata and raises and catches a ``ValueError``
(serialization: ``serialize_data(None)`` raises to skip it). :class:`ModelSerializer` skips
unset attributes up front, caches each attribute key's split and converts basic values without
msrest's ``eval`` of the type name; everything else is msrest's own code path, so the JSON and
the validation errors are the same (tests compare both with msrest's on many activities and on
invalid models).

Only JSON models with msrest's default key transformer and ``Model.validate`` take the short
path; anything else (XML models, other key transformers, models that override ``validate``)
goes through msrest unchanged.
"""

from __future__ import annotations

from typing import Any

from msrest.exceptions import SerializationError, ValidationError, raise_with_traceback
from msrest.serialization import Model, Serializer, _recursive_validate, full_restapi_key_transformer

__all__ = ["ModelSerializer", "validate_model"]

_KEYS: dict[str, list[str]] = {}
_BASIC_TYPES = frozenset(Serializer.basic_types.values())
# msrest converts basic values with ``eval(data_type)(data)``, which compiles the type's name on every
# call; the names ("str", "int", "bool", "float") are the builtins, looked up here instead.
_BASIC_CONVERTERS: dict[str, Any] = {name: kind for kind, name in Serializer.basic_types.items()}


def _keys(key: str) -> list[str]:
    """``full_restapi_key_transformer``'s key path for an attribute map key (a pure function of it)."""
    keys = _KEYS.get(key)
    if keys is None:
        keys = _KEYS[key] = full_restapi_key_transformer(None, {"key": key}, None)[0]
    return list(keys)


def validate_model(model: Model) -> list[ValidationError]:
    """``model.validate()``: the same errors, without visiting unset attributes that have no rules."""
    if type(model).validate is not Model.validate:
        return list(model.validate())
    errors: list[ValidationError] = []
    rules_of = model._validation
    class_name = model.__class__.__name__
    for attr_name, attr_desc in model._attribute_map.items():
        if attr_name == "additional_properties" and attr_desc["key"] == "":
            continue  # msrest does not validate additional properties
        value = getattr(model, attr_name)
        rules = rules_of.get(attr_name, {})
        if value is None and not rules:
            continue  # Serializer.validate(None) checks nothing, and there is nothing to recurse into
        attr_type = attr_desc["type"]
        debug_name = f"{class_name}.{attr_name}"
        try:
            if value is not None and attr_type in _BASIC_TYPES:
                value = ModelSerializer.serialize_basic(value, attr_type)
            Serializer.validate(value, debug_name, **rules)
        except ValidationError as validation_error:
            errors.append(validation_error)
        errors += _validate_value(attr_name, attr_type, value)
    return errors


def _validate_value(attr_name: str, attr_type: str, data: Any) -> list[ValidationError]:
    """msrest's ``_recursive_validate``, with :func:`validate_model` for models."""
    if data is None:
        return []
    if attr_type.startswith("[") or attr_type.startswith("{"):
        return list(_recursive_validate(attr_name, attr_type, data))
    if isinstance(data, Model):
        return validate_model(data)
    return list(_recursive_validate(attr_name, attr_type, data))


class ModelSerializer(Serializer):  # type: ignore[misc]
    """A drop-in msrest ``Serializer`` (same constructor, same output) for the connector clients."""

    @classmethod
    def serialize_basic(cls, data: Any, data_type: str, **kwargs: Any) -> Any:
        """msrest's ``serialize_basic`` without ``eval``: custom serializers, ``str``, else the builtin."""
        custom_serializer = cls._get_custom_serializers(data_type, **kwargs)
        if custom_serializer:
            return custom_serializer(data)
        if data_type == "str":
            return cls.serialize_unicode(data)
        converter = _BASIC_CONVERTERS.get(data_type)
        return converter(data) if converter is not None else super().serialize_basic(data, data_type, **kwargs)

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if not self.client_side_validation or not isinstance(data, Model):
            return super().body(data, data_type, **kwargs)
        # Serializer.body validates with _recursive_validate(data_type, data_type, data): for a model,
        # that is data.validate(). Validate here (the short way), then let msrest do the rest unvalidated.
        self.client_side_validation = False
        try:
            prepared, serialize_kwargs = _prepared_for_body(self, data, data_type, **kwargs)
        finally:
            self.client_side_validation = True
        errors = validate_model(prepared)
        if errors:
            raise errors[0]
        return self._serialize(prepared, data_type, **serialize_kwargs)

    def _serialize(self, target_obj: Any, data_type: str | None = None, **kwargs: Any) -> Any:
        if (
            data_type
            or not isinstance(target_obj, Model)
            or kwargs.get("key_transformer", self.key_transformer) is not full_restapi_key_transformer
            or kwargs.get("is_xml", False)
            or target_obj.is_xml_model()
        ):
            return super()._serialize(target_obj, data_type, **kwargs)
        keep_readonly = kwargs.get("keep_readonly", False)
        kwargs["is_xml"] = False
        serialized: dict[str, Any] = {}
        attr_name = None
        try:
            validation = target_obj._validation
            for attr_name, attr_desc in target_obj._attribute_map.items():
                if not keep_readonly and validation.get(attr_name, {}).get("readonly", False):
                    continue
                if attr_name == "additional_properties" and attr_desc["key"] == "":
                    if target_obj.additional_properties is not None:
                        serialized.update(target_obj.additional_properties)
                    continue
                value = getattr(target_obj, attr_name)
                if value is None:
                    continue  # msrest: serialize_data(None) raises ValueError, which skips the attribute
                try:
                    keys = _keys(attr_desc["key"])
                    kwargs["serialization_ctxt"] = attr_desc
                    new_attr = self.serialize_data(value, attr_desc["type"], **kwargs)
                    for key in reversed(keys):
                        new_attr = {key: new_attr}
                    nested_new, nested_serialized = new_attr, serialized
                    for key in keys:
                        if key not in nested_serialized:
                            nested_serialized.update(nested_new)
                        nested_new = nested_new[key]
                        nested_serialized = nested_serialized[key]
                except ValueError as error:
                    if isinstance(error, SerializationError):
                        raise
                    continue
        except (AttributeError, KeyError, TypeError) as error:
            message = f"Attribute {attr_name} in object {type(target_obj).__name__} cannot be serialized.\n{target_obj}"
            raise_with_traceback(SerializationError, message, error)
        return serialized


def _prepared_for_body(
    serializer: ModelSerializer, data: Any, data_type: str, **kwargs: Any
) -> tuple[Any, dict[str, Any]]:
    """What ``Serializer.body`` would serialize, and with which options: ``data`` after its
    model-rebuilding pass (msrest's own code), captured where ``body`` (validation off) calls
    ``_serialize`` — the pass runs once, exactly as msrest runs it.
    """
    captured: list[tuple[Any, dict[str, Any]]] = []

    def capture(target_obj: Any, _data_type: str | None = None, **serialize_kwargs: Any) -> None:
        captured.append((target_obj, serialize_kwargs))

    serializer._serialize = capture  # type: ignore[method-assign]
    try:
        Serializer.body(serializer, data, data_type, **kwargs)
    finally:
        del serializer._serialize
    return captured[0]
