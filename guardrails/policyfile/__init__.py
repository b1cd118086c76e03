"""The policy file: the whole guardrail policy as one YAML file, validated against one JSON Schema.

:data:`POLICY_SCHEMA` defines the format (docs/policy.md is generated from it);
:func:`parse_policy` turns a file's text into a :class:`Policy` of domain records or raises
:class:`PolicyFileError` naming file, line and field of every problem; :func:`render_policy`
writes a policy back as a file. Pure: no I/O (the caller reads and writes files and stores);
``ruamel.yaml`` and ``jsonschema`` are pure-Python libraries. Imported only by those who need
it (the policy command line, the docs generator): ``import guardrails`` does not load it.
"""

from guardrails.policyfile.load import (
    MAX_POLICY_BYTES,
    ActionCatalog,
    Policy,
    PolicyFileError,
    PolicyProblem,
    parse_policy,
)
from guardrails.policyfile.render import policy_to_data, render_policy
from guardrails.policyfile.schema import FORMAT_VERSION, POLICY_SCHEMA, SEMANTIC_RULES

__all__ = [
    "FORMAT_VERSION",
    "MAX_POLICY_BYTES",
    "POLICY_SCHEMA",
    "SEMANTIC_RULES",
    "ActionCatalog",
    "Policy",
    "PolicyFileError",
    "PolicyProblem",
    "parse_policy",
    "policy_to_data",
    "render_policy",
]
