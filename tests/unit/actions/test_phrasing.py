"""Natural phrases and synonyms, did-you-mean that only ever suggests real commands, commands written back.

Did-you-mean is checked property-style: over many near misses of every phrase, name and alias
(letters dropped, doubled, swapped or replaced; words run together or split), each suggestion
must parse to an action with parameters it has — a suggestion is never a command that does not exist.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actions.params import UnknownActionError, command_text, natural_command, parse_command
from actions.registry import default_registry, normalize
from actions.spec import ActionError, Phrasing, Precondition, phrasing_of

REGISTRY = default_registry()
KEYS = sorted(REGISTRY.lookup_keys())
ACTIONS = list(REGISTRY)


@pytest.mark.parametrize(
    ("typed", "action"),
    [
        ("reboot vm build-agent-1", "vm-restart"),
        ("bounce app web-prod", "app-restart"),
        ("reboot app web-prod", "app-restart"),
        ("shut down vm build-agent-2", "vm-deallocate"),
        ("power off vm build-agent-2", "vm-deallocate"),
        ("turn off cluster aks-dev", "aks-stop-cluster"),
        ("power on vm build-agent-3", "vm-start"),
        ("boot vm build-agent-3", "vm-start"),
        ("resize node pool aks-prod np1 to 5", "aks-scale-node-pool"),
        ("set count of pool aks-prod np1 to 5", "aks-scale-node-pool"),
        ("resize vmss vmss-web to 6", "vmss-set-capacity"),
        ("change autoscale aks-prod np2 min 2 max 8", "aks-set-autoscale"),
    ],
)
def test_declared_synonyms_name_the_action(typed: str, action: str) -> None:
    assert parse_command(REGISTRY, typed).action.name == action


@pytest.mark.parametrize("typed", ["reboots app web-prod", "rebooting vm x", "shutdown now vm x", "bounced app x"])
def test_nothing_but_the_declared_words_is_a_synonym(typed: str) -> None:
    with pytest.raises(UnknownActionError):
        parse_command(REGISTRY, typed)


def test_the_phrase_comes_first_then_the_names_then_the_synonyms() -> None:
    phrasing = Phrasing("restart app", {"restart": ("reboot", "bounce")})
    assert phrasing.names(("app-restart", "restart web app")) == (
        "restart app", "app-restart", "restart web app", "reboot app", "bounce app", "reboot web app", "bounce web app",
    )


def test_a_precondition_refuses_known_other_states_only() -> None:
    condition = Precondition("vm", ("stopped", "deallocated"), {"running": "already running"})
    assert condition.refusal("Deallocated") is None
    assert condition.refusal("running") == "already running"
    assert condition.refusal("starting") == "starting"
    assert condition.refusal("") is None  # not known: the action's own checks decide
    assert condition.refusal("unknown") is None


def test_every_action_teaches_a_natural_phrase_that_is_one_of_its_lookup_names() -> None:
    for action in ACTIONS:
        phrase = phrasing_of(action).phrase
        assert phrase != action.name
        assert REGISTRY.get(phrase) is action


def test_the_reported_bug_never_comes_back() -> None:
    # "reboot app web-prod" once got "Did you mean: reboot vm app web-prod?": now it simply runs.
    assert parse_command(REGISTRY, "reboot app web-prod").args == {"app": "web-prod"}
    with pytest.raises(UnknownActionError) as caught:
        parse_command(REGISTRY, "reboto app web-prod")
    assert caught.value.suggestions == ("reboot app web-prod",)


def _edits(word: str) -> st.SearchStrategy[str]:
    """One typing slip in ``word``."""
    positions = st.integers(min_value=0, max_value=max(len(word) - 1, 0))
    letters = st.sampled_from(string.ascii_lowercase)
    return st.one_of(
        positions.map(lambda i: word[:i] + word[i + 1:]),  # a letter dropped
        positions.map(lambda i: word[:i] + word[i] + word[i:]),  # a letter doubled
        positions.map(lambda i: word[:i] + word[i + 1:i + 2] + word[i:i + 1] + word[i + 2:]),  # two swapped
        st.tuples(positions, letters).map(lambda p: word[:p[0]] + p[1] + word[p[0] + 1:]),  # one replaced
        st.just(word.replace(" ", "", 1)),  # two words run together
        st.just(word.replace("-", " ", 1)),
    )


ARGUMENTS = st.lists(
    st.one_of(
        st.sampled_from(["aks-prod", "np1", "to", "5", "web-prod", "build-agent-2", "min", "2", "max", "8", "app",
                         "vm", "nodes", "count=3", "clustr=aks-dev", "pool=np1", "x=y", "/subscriptions/s/x"]),
        st.text(alphabet=string.ascii_lowercase + "-=", min_size=1, max_size=8),
    ),
    max_size=5,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_every_did_you_mean_suggestion_is_a_real_command(data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(KEYS))
    slip = data.draw(_edits(key))
    words = data.draw(ARGUMENTS)
    text = " ".join([slip, *words])
    suggestions: tuple[str, ...] = ()
    message = ""
    try:
        parse_command(REGISTRY, text)
    except UnknownActionError as error:
        suggestions, message = error.suggestions, error.message
    except ActionError:
        pass  # the slip happened to make another real command with values that do not fit: said so
    for suggestion in suggestions:
        parsed = parse_command(REGISTRY, suggestion)  # parses: a real action …
        names = {p.name for p in parsed.action.parameters}
        assert set(parsed.args) <= names  # … given only parameters it has
        assert suggestion in message
        # A whole lookup name starts it, followed by a space or nothing: never glued onto another word.
        spoken = normalize(suggestion)
        assert any(spoken == key or spoken.startswith(key + " ") for key in KEYS)


VALUES = st.text(alphabet=string.ascii_letters + string.digits + "-_./= '", min_size=1, max_size=12).filter(
    lambda value: value.strip() == value and value.strip()
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_command_written_back_parses_to_the_same_action_and_values(data: st.DataObject) -> None:
    action = data.draw(st.sampled_from(ACTIONS))
    chosen = data.draw(st.lists(st.sampled_from([p.name for p in action.parameters]), unique=True))
    args = {name: data.draw(VALUES) for name in chosen}
    text = command_text(action, args)
    assert text.startswith(phrasing_of(action).phrase)
    parsed = parse_command(REGISTRY, text)
    assert parsed.action is action
    assert parsed.args == args


def test_suggested_commands_are_said_naturally() -> None:
    assert natural_command(REGISTRY, "aks-set-autoscale cluster=aks-prod pool=np2 min=2 max=8") == (
        "set autoscale aks-prod np2 min 2 max 8"
    )
    assert natural_command(REGISTRY, "vm-start vm=build-agent-3") == "start vm build-agent-3"
    assert natural_command(REGISTRY, "aks-scale-node-pool count=3") == "scale node pool count=3"
    assert natural_command(REGISTRY, "no such command") is None
