"""The policy file: every kind of mistake is named with file, line and field; a valid file gives the domain records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from actions.registry import default_registry
from guardrails.policyfile import ActionCatalog, PolicyFileError, parse_policy, render_policy
from guardrails.policyfile.load import MAX_POLICY_BYTES
from guardrails.records import GrantKind, GrantMode, ParameterLimit, Principal

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
CATALOG = ActionCatalog.from_actions(default_registry())
ALEX = "00000000-0000-0000-0000-0000000000020"
DEV = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-dev"
PROD = "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-prod"

# Line numbers matter: the tests below name them.
VALID = f"""\
version: 1
groups:
  - name: prod-approvers
    members: [00000000-0000-0000-0000-0000000000021, 00000000-0000-0000-0000-0000000000022]
grants:
  - id: dev-auto
    principal: user:{ALEX}
    actions: ["*"]
    scope: {DEV}
  - id: dev-admin
    principal: user:{ALEX}
    kind: admin
    scope: {DEV}
  - id: prod-scale
    principal: user:{ALEX}
    mode: approval
    actions: [aks-scale-node-pool]
    scope: {PROD}
    limits:
      count:
        max: 10
        max_increase: 3
    window:
      time_zone: Europe/Berlin
      days: [mon, tue, wed, thu, fri]
      start_hour: 8
      end_hour: 18
    expires: 2026-12-31T18:00:00+01:00
approver_rules:
  - id: prod
    scope: {PROD}
    approvers: [group:prod-approvers]
    quorum: 2
    approval_expiry: 4h
freezes:
  - id: year-end
    scope: {PROD}
    starts: 2026-12-20T00:00:00Z
    ends: 2027-01-04T00:00:00Z
    reason: year-end freeze
"""


def parse(text: str) -> object:
    return parse_policy(text, file="policy.yaml", catalog=CATALOG, now=NOW, actor=ALEX)


def problems(text: str) -> list[str]:
    with pytest.raises(PolicyFileError) as caught:
        parse(text)
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_gives_the_domain_records() -> None:
    policy = parse(VALID)
    grants = {g.id: g for g in policy.grants}
    prod = grants["prod-scale"]
    assert prod.principal == Principal.user(ALEX)
    assert prod.mode is GrantMode.APPROVAL
    assert prod.kind is GrantKind.ACTION
    assert prod.actions == frozenset({"aks-scale-node-pool"})
    assert prod.limits.parameters == {"count": ParameterLimit(maximum=10, max_increase=3)}
    assert prod.limits.window is not None
    assert prod.limits.window.days == frozenset({1, 2, 3, 4, 5})
    assert (prod.limits.window.start_hour, prod.limits.window.end_hour) == (8, 18)
    assert prod.expires_at == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert prod.created_by == ALEX
    assert prod.created_at == NOW
    assert grants["dev-admin"].kind is GrantKind.ADMIN
    assert grants["dev-auto"].mode is GrantMode.AUTO
    (rule,) = policy.approver_rules
    assert rule.quorum == 2
    assert rule.approval_ttl == timedelta(hours=4)
    assert rule.approvers == frozenset({Principal.group("prod-approvers")})
    (freeze,) = policy.freezes
    assert (freeze.starts_at, freeze.ends_at) == (datetime(2026, 12, 20, tzinfo=UTC), datetime(2027, 1, 4, tzinfo=UTC))
    assert freeze.declared_by == ALEX
    (group,) = policy.groups
    assert group.members == frozenset(
        {"00000000-0000-0000-0000-0000000000021", "00000000-0000-0000-0000-0000000000022"}
    )


def test_the_example_error_names_file_line_and_field() -> None:
    assert problems(VALID.replace("        max: 10", "        max: ten")) == [
        "policy.yaml:21: grants[2].limits.count.max: expected an integer, got 'ten'"
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    quorum: 2", "    quorom: 2",
         "policy.yaml:33: approver_rules[0].quorom: unknown field (did you mean 'quorum'?); expected one of id, "
         "scope, approvers, quorum, approval_expiry"),
        (f"    scope: {DEV}\n  - id: dev-admin", "  - id: dev-admin",
         "policy.yaml:6: grants[0].scope: missing (required)"),
        ("    mode: approval", "    mode: manual",
         "policy.yaml:16: grants[2].mode: expected one of auto, approval, got 'manual'"),
        ("    kind: admin", "    kind: admn",
         "policy.yaml:12: grants[1].kind: expected one of action, admin, break_glass, got 'admn' (did you mean "
         "'admin'?)"),
        (f"  - id: dev-admin\n    principal: user:{ALEX}", "  - id: dev-admin\n    principal: Alex Wilber",
         "policy.yaml:11: grants[1].principal: expected user:<Entra object id> or group:<name of a group in this "
         "file>, got 'Alex Wilber'"),
        ("version: 1", "version: 2", "policy.yaml:1: version: expected 1, got 2"),
        ("    expires: 2026-12-31T18:00:00+01:00", "    expires: 2026-12-31 18:00",
         "policy.yaml:28: grants[2].expires: expected a date and time with its zone, e.g. 2026-12-31T18:00:00Z or "
         "2026-12-31T19:00:00+01:00, got '2026-12-31 18:00'"),
        ("      start_hour: 8", "      start_hour: 25",
         "policy.yaml:26: grants[2].window.start_hour: expected at most 23, got 25"),
        ("      days: [mon, tue, wed, thu, fri]", "      days: [mon, tue, mon]",
         "policy.yaml:25: grants[2].window.days: names the same value twice"),
        ("    approval_expiry: 4h", "    approval_expiry: 4 hours",
         "policy.yaml:34: approver_rules[0].approval_expiry: expected a duration such as 90m, 24h or 7d (1 minute to "
         "30 days), got '4 hours'"),
        ("    actions: [aks-scale-node-pool]", "    actions: aks-scale-node-pool",
         "policy.yaml:17: grants[2].actions: expected a list, got 'aks-scale-node-pool'"),
        ("        max_increase: 3", "        max_increase: -3",
         "policy.yaml:22: grants[2].limits.count.max_increase: expected at least 0, got -3"),
    ],
)
def test_schema_mistakes_are_named_with_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in VALID
    assert problems(VALID.replace(old, new, 1)) == [expected]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    actions: [aks-scale-node-pool]", "    actions: [aks-scale-nodepool]",
         "policy.yaml:17: grants[2].actions[0]: unknown action 'aks-scale-nodepool' (did you mean "
         "'aks-scale-node-pool'?)"),
        ("      count:", "      nodes:",
         "policy.yaml:20: grants[2].limits.nodes: no action of this grant has an integer parameter 'nodes'; they "
         "have count"),
        (f"    scope: {PROD}\n    limits:",
         "    scope: /subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups\n    limits:",
         "policy.yaml:18: grants[2].scope: A scope alternates a type and a name (/subscriptions/{id}/resourceGroups/"
         "{name}/…); '/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups' ends with a type and no "
         "name."),
        (f"    scope: {DEV}\n  - id: dev-admin", f"    scope: {DEV}/../rg-prod\n  - id: dev-admin",
         "policy.yaml:9: grants[0].scope: A scope cannot contain '.' or '..' segments."),
        ("    quorum: 2", "    quorum: 3",
         "policy.yaml:33: approver_rules[0].quorum: quorum 3 is more than the 2 people the approvers name"),
        ("  - id: dev-admin", "  - id: DEV-AUTO",
         "policy.yaml:10: grants[1].id: 'DEV-AUTO' is already used by grants[0]"),
        ("    approvers: [group:prod-approvers]", "    approvers: [group:prod-aprovers]",
         "policy.yaml:32: approver_rules[0].approvers[0]: there is no group 'prod-aprovers' in this file (did you "
         "mean 'prod-approvers'?)"),
        ("        max: 10", "        min: 11\n        max: 10",
         "policy.yaml:21: grants[2].limits.count.min: min 11 is above max 10"),
        ("    ends: 2027-01-04T00:00:00Z", "    ends: 2026-12-19T00:00:00Z",
         "policy.yaml:39: freezes[0].ends: the freeze must end after it starts"),
        ("    kind: admin", "    kind: admin\n    actions: [vm-start]",
         "policy.yaml:13: grants[1].actions: an admin grant has no actions (it gives the right to manage the scope)"),
        ("    actions: [\"*\"]\n", "",
         "policy.yaml:6: grants[0].actions: missing (required for a action grant; * for every action)"),
        ("      end_hour: 18", "      end_hour: 8",
         "policy.yaml:27: grants[2].window.end_hour: the window must end after its start_hour"),
        ("      time_zone: Europe/Berlin", "      time_zone: Europe/Bxrlin",
         "policy.yaml:24: grants[2].window.time_zone: 'Europe/Bxrlin' is not an IANA time zone (e.g. Europe/Berlin)."),
        ("    approval_expiry: 4h", "    approval_expiry: 31d",
         "policy.yaml:34: approver_rules[0].approval_expiry: expected at most 30 days, got '31d'"),
    ],
)
def test_semantic_mistakes_are_named_with_line_and_field(old: str, new: str, expected: str) -> None:
    assert old in VALID
    assert problems(VALID.replace(old, new, 1)) == [expected]


def test_two_rules_on_the_same_scope_spelled_differently_are_refused() -> None:
    second = f"  - id: prod2\n    scope: {PROD.upper()}/\n    approvers: [group:prod-approvers]\n"
    text = VALID.replace("freezes:\n", second + "freezes:\n")
    assert problems(text) == [
        "policy.yaml:36: approver_rules[1].scope: approver_rules[0] has this scope already (one rule per scope)"
    ]


def test_every_problem_is_listed_at_once() -> None:
    text = VALID.replace("        max: 10", "        max: ten").replace("    quorum: 2", "    quorom: 2")
    assert [p.split(":")[1] for p in problems(text)] == ["21", "33"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("version: 1\ngrants:\n  - id: a\n    id: b\n",
         'policy.yaml:4: not valid YAML: while constructing a mapping found duplicate key "id" with value "b" '
         '(original value: "a")'),
        ("version: 1\ngrants: [\n", "policy.yaml:3: not valid YAML: while parsing a flow node expected the node "
                                   "content, but found '<stream end>'"),
        ("version: 1\ngroups:\n  - &g {name: a}\ngrants:\n  - *g\n",
         "policy.yaml:5: YAML aliases (*name) are not allowed in a policy file; write the value out"),
        ("- 1\n", "policy.yaml:1: expected a mapping of fields, got a list"),
        ("", "policy.yaml: version: missing (required)"),
    ],
)
def test_unreadable_yaml_is_named_with_its_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_oversized_and_non_utf8_files_are_refused_before_parsing() -> None:
    assert problems(b"version: 1\n# " + b"x" * MAX_POLICY_BYTES) == [  # type: ignore[arg-type]
        f"policy.yaml: is {MAX_POLICY_BYTES + 13} bytes; a policy file is at most {MAX_POLICY_BYTES} bytes"
    ]
    assert problems(b"version: 1\nname: \xff\n") == [  # type: ignore[arg-type]
        "policy.yaml: is not UTF-8 text (invalid start byte)"
    ]


def test_rendering_and_parsing_again_gives_the_same_policy_and_text() -> None:
    policy = parse(VALID)
    text = render_policy(policy)
    again = parse(text)
    assert render_policy(again) == text
    # the same records (the same creator and time too: both parses were stamped alike)
    assert sorted(again.grants, key=lambda g: g.id) == sorted(policy.grants, key=lambda g: g.id)
    assert (again.groups, again.approver_rules, again.freezes) == (policy.groups, policy.approver_rules, policy.freezes)


def test_the_demo_policy_validates_against_the_catalog_and_covers_the_demo_cases() -> None:
    policy = parse_policy((ROOT / "tools" / "demo_policy.yaml").read_text(), file="demo_policy.yaml",
                          catalog=CATALOG, now=NOW)
    grants = {g.id: g for g in policy.grants}
    assert grants["alex-dev-auto"].mode is GrantMode.AUTO
    assert grants["alex-dev-auto"].scope.endswith("/rg-dev")
    assert grants["alex-prod-approval"].mode is GrantMode.APPROVAL
    assert {r.id: r.quorum for r in policy.approver_rules} == {"dev-approvers": 1, "prod-approvers": 2}
    assert len(policy.freezes) == 1
