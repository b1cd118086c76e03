"""The policy command line (``python -m app.policy``): validate, import, export the policy; bootstrap an admin.

It lives in the composition root because it wires the pure policy file format
(:mod:`guardrails.policyfile`) to the Table Storage stores (:mod:`storage.policy_versions`,
:mod:`storage.audit`) and telemetry; the domain packages may import neither.
"""
