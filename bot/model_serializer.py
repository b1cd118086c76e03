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

import xml.etree.ElementTree as ET
from typing import Any

from msrest.exceptions import DeserializationError, SerializationError, ValidationError, raise_with_traceback
from msrest.serialization import (
    _FLATTEN,
    Deserializer,
    Model,
    Serializer,
    _decode_attribute_map_key,
    _recursive_validate,
    full_restapi_key_transformer,
    rest_key_extractor,
    xml_key_extractor,
)

__all__ = ["ModelDeserializer", "ModelSerializer", "validate_model"]

_KEYS: dict[str, list[str]] = {}
# Types of decoded JSON scalars msrest's ``deserialize_object`` returns unchanged (``str(s)`` is ``s``,
# ``eval("int")(n)`` is ``n``, ``bool(b)`` is ``b``).
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})
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
        if not self.client_side_validation or not isinstance(data, Model) or data_type[:1] in ("[", "{"):
            return super().body(data, data_type, **kwargs)
        # Serializer.body validates with _recursive_validate(data_type, data_type, data): for a model,
        # that is data.validate(). Validate here (the short way), then let msrest do the rest unvalidated.
        # The flag is only off during this synchronous call (connector clients live on one event loop).
        self.client_side_validation = False
        try:
            prepared, serialize_kwargs = _prepared_for_body(self, data, data_type, **kwargs)
        finally:
            self.client_side_validation = True
        if isinstance(prepared, Model):
            errors = validate_model(prepared)
        else:  # msrest's rebuilding pass gave up (it returns None on an AttributeError)
            errors = list(_recursive_validate(data_type, data_type, prepared))
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


class ModelDeserializer(Deserializer):  # type: ignore[misc]
    """msrest's ``Deserializer`` (same constructor, same models) with less work per JSON object.

    - Each model's set of known JSON keys (to find additional properties, which botbuilder's
      models keep) is computed once per attribute map, not for every object: a regex split and
      an unescape per attribute, about 45 for ``Activity``.
    - An attribute whose plain key (no ``.`` flattening) is absent from the JSON object is set to
      ``None`` without running the key extractors: msrest's default ones (``rest_key_extractor``,
      ``xml_key_extractor``) find ``None`` there, and ``deserialize_data(None)`` is ``None``.

    - Free-form fields (msrest type ``object``: ``channelData``, ``value``, an entity's or an
      attachment's content) are copied as the plain JSON they are. msrest walks them value by value
      and converts each number with ``eval(type_name)(value)`` (several µs per value), which for the
      same JSON values gives the same dicts, lists and scalars.

    Other inputs (XML, model instances, other key extractors, non-model targets) take msrest's path.
    """

    _known_keys: dict[int, tuple[dict[str, Any], frozenset[str]]] = {}

    def _deserialize(self, target_obj: Any, data: Any) -> Any:
        if not isinstance(data, dict) or self.key_extractors != [rest_key_extractor, xml_key_extractor]:
            return super()._deserialize(target_obj, data)
        response, class_name = self._classify_target(target_obj, data)
        if not (isinstance(response, type) and issubclass(response, Model)):
            return super()._deserialize(target_obj, data)
        attributes = response._attribute_map
        d_attrs: dict[str, Any] = {}
        try:
            for attr, attr_desc in attributes.items():
                if attr == "additional_properties" and attr_desc["key"] == "":
                    continue
                key = attr_desc["key"]
                if "." not in key and key not in data:
                    d_attrs[attr] = None
                    continue
                d_attrs[attr] = self.deserialize_data(self._extract(attr, attr_desc, data), attr_desc["type"])
        except (AttributeError, TypeError, KeyError) as err:
            raise_with_traceback(DeserializationError, "Unable to deserialize to object: " + class_name, err)
        additional_properties = self._build_additional_properties(attributes, data)
        return self._instantiate_model(response, d_attrs, additional_properties)

    def deserialize_object(self, attr: Any, **kwargs: Any) -> Any:
        """msrest's ``deserialize_object`` for JSON values (dict, list, str, int, float, bool, None): a copy.

        Anything else (XML elements, other types anywhere inside) takes msrest's own path. Recursive
        like msrest's: the HTTP edge bounds the nesting before any deserialization.
        """
        kind = type(attr)
        if kind is dict:
            if not kwargs:
                return {key: self._plain_value(value) for key, value in attr.items()}
        elif kind is list:
            if not kwargs:
                return [self._plain_value(value) for value in attr]
        elif kind in _JSON_SCALARS:
            return attr
        return super().deserialize_object(attr, **kwargs)

    def _plain_value(self, value: Any) -> Any:
        return value if type(value) in _JSON_SCALARS else self.deserialize_object(value)

    def _extract(self, attr: str, attr_desc: dict[str, Any], data: Any) -> Any:
        """msrest's key extraction for one attribute (first extractor's value wins, as in msrest)."""
        raw_value = None
        attr_desc = attr_desc.copy()
        internal_data_type = attr_desc["type"].strip("[]{}")
        if internal_data_type in self.dependencies:
            attr_desc["internalType"] = self.dependencies[internal_data_type]
        for key_extractor in self.key_extractors:
            found_value = key_extractor(attr, attr_desc, data)
            if found_value is not None:
                if raw_value is not None and raw_value != found_value:
                    continue  # msrest logs a warning and keeps the first value
                raw_value = found_value
        return raw_value

    def _build_additional_properties(self, attribute_map: dict[str, Any], data: Any) -> dict[str, Any] | None:
        if not self.additional_properties_detection:
            return None
        if "additional_properties" in attribute_map and attribute_map.get("additional_properties", {}).get("key") != "":
            return None  # a real "additionalProperties" key, not the catch-all (as msrest does)
        if isinstance(data, ET.Element):
            data = {element.tag: element.text for element in data}
        cached = self._known_keys.get(id(attribute_map))
        if cached is None or cached[0] is not attribute_map:
            known = frozenset(
                _decode_attribute_map_key(_FLATTEN.split(desc["key"])[0])
                for desc in attribute_map.values()
                if desc["key"] != ""
            )
            cached = self._known_keys[id(attribute_map)] = (attribute_map, known)
        return {key: data[key] for key in set(data.keys()) - cached[1]}
