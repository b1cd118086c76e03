"""Declarations used to exercise the card builder on every parameter kind.

They are real :class:`actions.spec.Action` declarations (nothing is run): the builder only reads
declarations. The registry's own actions are checked in ``test_every_card``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actions.spec import Args, Choice, ChoiceList, Parameter, ParamKind, Preview, Progress, ProgressState, Scope

__all__ = ["SAMPLE", "many_choices"]


@dataclass(frozen=True)
class SampleAction:
    """An action declaring one parameter of every kind."""

    name: str = "sample-tune-app"
    aliases: tuple[str, ...] = ("tune app",)
    summary: str = "Tune an app's settings."
    help: str = "Sets the worker count and tier of an app."
    usage: str = "{app} {tier} {workers} {label}"
    examples: tuple[str, ...] = ("tune app web-prod gold 4 blue",)
    parameters: tuple[Parameter, ...] = field(default_factory=lambda: (
        Parameter("app", ParamKind.RESOURCE, "Which app?", description="an app, by name or resource id"),
        Parameter("tier", ParamKind.CHOICE, "Which tier?", choices=(
            Choice("gold", "Gold", "fast"), Choice("silver", "Silver"),
        ), default="silver"),
        Parameter("workers", ParamKind.INTEGER, "How many workers?", description="workers per instance",
                  minimum=1, maximum=20, default=2),
        Parameter("label", ParamKind.TEXT, "Which label?", description="lowercase letters and dashes",
                  pattern=r"[a-z][a-z-]{0,30}", required=False),
    ))
    timeout_seconds: float = 60.0

    def scope(self, args: Args) -> Scope:
        return Scope(self.name, str(args["app"]))

    async def preview(self, ctx: object, args: Args) -> Preview:
        raise NotImplementedError

    async def start(self, ctx: object, args: Args) -> Progress:
        return Progress(ProgressState.SUCCEEDED, "done")

    async def poll(self, ctx: object, args: Args, continuation_token: str) -> Progress:
        return Progress(ProgressState.SUCCEEDED, "done")


SAMPLE = SampleAction()


def many_choices(count: int, *, complete: bool = True) -> ChoiceList:
    """``count`` resource choices with realistic (long) resource ids."""
    base = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-prod/providers/Microsoft.Web/sites"
    choices = tuple(Choice(f"{base}/app-{i:03d}", f"app-{i:03d}", "rg-prod · sub 11111111") for i in range(count))
    return ChoiceList(choices, complete=complete, note="" if complete else "the list may be incomplete: Azure was slow")
