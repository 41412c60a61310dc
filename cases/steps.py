"""Each step of a workflow is declared once, on its `@transition`: who may take it (a rule of
django-rules, which knows the agency side), its label, what it needs (a note, an amount,
documents), whether it moves money or is destructive. Everything else is derived from that
declaration:

- the buttons of a case page: `offered(user, obj)`, the steps open to this user now;
- the view's dispatch: `perform(obj, name, by=…, given=…)` runs only an offered step, through
  the performer its service module registered with `performs`;
- the service's guard: `require(obj, obj.accept, by)` at the top of the service, before any
  check or money, and `case_step(obj, obj.accept, by=…)(on=day)` for the transition itself,
  which checks again, saves, mirrors the state onto the case and writes the history row.

A transition's permission is `may("transfers.accept")`: the rule is looked up by name when it
is evaluated, so the models do not import the rules (which read the models) and the same rule
answers `rules.has_perm` in views and templates. Internal steps (a payout's closing of the
account, the completion a transfer-in runs when no money travels) are taken only inside another
step's service, which has checked its own rule: they are never offered nor dispatched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import rules
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from cases.errors import CaseError
from cases.history import case_record
from cases.models import Case
from cases.registry import state_label
from cases.turns import acting_agency_id

if TYPE_CHECKING:
    from accounts.models import User

P = ParamSpec("P")
R = TypeVar("R")
W = TypeVar("W", bound=models.Model)

StrOrPromise = str | Promise


@dataclass(frozen=True)
class Step:
    """What a page and a service need to know about one transition."""

    label: StrOrPromise
    # What the history line says (the label when empty), and the message after success.
    done: StrOrPromise = ""
    history: StrOrPromise = ""
    needs_note: bool = False
    needs_amount: bool = False
    needs_documents: bool = False
    moves_money: bool = False
    destructive: bool = False
    internal: bool = False
    note_label: StrOrPromise = ""
    amount_label: StrOrPromise = ""

    @property
    def history_label(self) -> StrOrPromise:
        return self.history or self.label


def declare(
    label: StrOrPromise,
    *,
    done: StrOrPromise = "",
    history: StrOrPromise = "",
    needs_note: bool = False,
    needs_amount: bool = False,
    needs_documents: bool = False,
    moves_money: bool = False,
    destructive: bool = False,
    note_label: StrOrPromise = "",
    amount_label: StrOrPromise = "",
) -> dict[str, Any]:
    """The `custom=` of a `@transition` a person takes from a page."""
    return {
        "step": Step(
            label=label,
            done=done,
            history=history,
            needs_note=needs_note,
            needs_amount=needs_amount,
            needs_documents=needs_documents,
            moves_money=moves_money,
            destructive=destructive,
            note_label=note_label,
            amount_label=amount_label,
        )
    }


def internal(history: StrOrPromise) -> dict[str, Any]:
    """The `custom=` of a `@transition` taken only inside another step's service."""
    return {"step": Step(label=history, history=history, internal=True)}


def may(rule: str) -> Callable[[Any, Any], bool]:
    """A transition's permission: the named rule, asked about this user and this row. Unlike
    `user.has_perm`, it grants a superuser nothing the rule does not."""

    def check(instance: Any, user: Any) -> bool:
        return bool(rules.has_perm(rule, user, instance))

    check.__name__ = f"may({rule})"
    return check


# --- reading the declarations -----------------------------------------------------------


def _transitions(method: Callable[..., Any]) -> Any:
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        raise TypeError(f"{method!r} is not an FSM transition")
    return meta


def step_of(method: Callable[..., Any]) -> Step:
    """The declaration of a transition (bound or unbound)."""
    meta = _transitions(method)
    for transition in meta.transitions.values():
        step = (transition.custom or {}).get("step")
        if isinstance(step, Step):
            return step
    raise TypeError(f"{method.__name__} declares no step")


def declared(model: type[models.Model]) -> dict[str, Step]:
    """Every transition of a workflow model with its declaration, by name."""
    found: dict[str, Step] = {}
    state = model._meta.get_field("state")
    if not hasattr(state, "get_all_transitions"):
        return found
    for transition in state.get_all_transitions(model):
        step = (transition.custom or {}).get("step")
        if isinstance(step, Step):
            found[transition.name] = step
    return found


@dataclass(frozen=True)
class Offer:
    """A step the page shows as a button."""

    name: str
    step: Step
    # What will happen, in figures, when the step moves money (set by the page's view).
    summary: str = ""

    @property
    def label(self) -> str:
        return str(self.step.label)

    @property
    def dom_id(self) -> str:
        return "form-" + self.name.replace("_", "-")


def offered(user: User, obj: Any) -> list[Offer]:
    """The steps this user may take on this row now: its state, the transitions' conditions
    and their rules. Exactly the buttons of the case page and what `perform` accepts."""
    if not user.is_authenticated:
        return []
    offers = []
    for transition in obj.get_available_user_state_transitions(user):
        step = (transition.custom or {}).get("step")
        if isinstance(step, Step) and not step.internal:
            offers.append(Offer(transition.name, step, summary_of(obj, transition.name)))
    # In the order the model declares them (django-fsm lists them by name).
    order = list(vars(type(obj)))
    return sorted(offers, key=lambda offer: order.index(offer.name))


# --- the guard and the transition ------------------------------------------------------


def allowed(obj: Any, method: Callable[..., Any], by: User | None) -> bool:
    if not can_proceed(method):
        return False
    return by is None or step_of(method).internal or has_transition_perm(method, by)


def require(
    obj: Any, method: Callable[..., Any], by: User | None, *, consequence: bool = False
) -> Step:
    """Refuse, before anything is checked or moved, a step not open to this user now. A
    `consequence` is taken because of another step `by` took, whose rule was asked (the
    bindings a completed transfer ends): only the state is checked."""
    step = step_of(method)
    if not can_proceed(method):
        raise CaseError(
            _("This step is not possible while the case is “%(state)s”.")
            % {"state": state_label(obj.case.kind, obj.state)},
            code="wrong_state",
        )
    if (
        by is not None
        and not (step.internal or consequence)
        and not has_transition_perm(method, by)
    ):
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    return step


def case_step(
    obj: Any,
    method: Callable[P, R],
    *,
    by: User | None,
    reason: str = "",
    actor_label: str = "",
    consequence: bool = False,
) -> Callable[P, R]:
    """The transition `method` of `obj` (a row the caller has locked), ready to be called with
    its own typed arguments: `case_step(t, t.accept, by=clerk)(on=day)`. The call checks the
    step again, moves the state, saves the row, mirrors the state onto the case and writes the
    history line, all in the caller's transaction."""
    require(obj, method, by, consequence=consequence)

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        before = obj.state
        result = method(*args, **kwargs)
        obj.save()
        case: Case = obj.case
        case.state = obj.state
        update = ["state", "updated_at"]
        if obj.state in getattr(type(obj), "FINAL_STATES", ()):
            case.closed_at = timezone.now()
            update.append("closed_at")
        case.acting_agency_id = acting_agency_id(case, obj)
        update.append("acting_agency")
        case.save(update_fields=update)
        case_record(
            case=case,
            action=method.__name__,
            by=by,
            from_state=before,
            to_state=obj.state,
            reason=reason,
            actor_label=actor_label,
        )
        return result

    return run


def send_back(obj: Any, method: Callable[[], None], *, by: User, note: str) -> None:
    """The second person returns what a colleague prepared (双人复核), saying what is wrong;
    the prepared row goes back to the state it was prepared from."""
    require(obj, method, by)
    if not note.strip():
        raise CaseError(_("Say what is wrong with what was prepared."), code="empty_note")
    case_step(obj, method, by=by, reason=note.strip())()


# --- dispatch from a page -----------------------------------------------------------------


@dataclass(frozen=True)
class Given:
    """What a person typed with a step: a note (or one reason a line), an amount, the kinds
    of document asked for."""

    note: str = ""
    amount: Decimal | None = None
    kinds: Sequence[str] = field(default_factory=tuple)

    @property
    def reasons(self) -> list[str]:
        return [line.strip() for line in self.note.splitlines() if line.strip()]


Performer = Callable[[Any, "User", Given], object]
_PERFORMERS: dict[tuple[str, str], Performer] = {}


def performs(method: Callable[..., Any]) -> Callable[[Performer], Performer]:
    """Register the service call that takes the declared step `method` (an unbound transition,
    `Transfer.accept`) from a page."""
    step_of(method)
    key = (method.__module__, method.__qualname__)

    def register(performer: Performer) -> Performer:
        _PERFORMERS[key] = performer
        return performer

    return register


def performer_for(obj: Any, name: str) -> Performer | None:
    model = type(obj)
    return _PERFORMERS.get((model.__module__, f"{model.__qualname__}.{name}"))


Summary = Callable[[Any], str]
_SUMMARIES: dict[tuple[str, str], Summary] = {}


def summarises(*methods: Callable[..., Any]) -> Callable[[Summary], Summary]:
    """Register what the declared steps `methods` will do, in figures (the amount, the account
    it leaves, the payee), shown on the step's form and in its confirmation."""
    keys = [(m.__module__, m.__qualname__) for m in methods if step_of(m)]

    def register(summary: Summary) -> Summary:
        for key in keys:
            _SUMMARIES[key] = summary
        return summary

    return register


def _summary(model: type[models.Model], name: str) -> Summary | None:
    return _SUMMARIES.get((model.__module__, f"{model.__qualname__}.{name}"))


def summarised(model: type[models.Model], name: str) -> bool:
    """Whether the step `name` says what it will do in figures (every step moving money must)."""
    return _summary(model, name) is not None


def summary_of(obj: Any, name: str) -> str:
    summary = _summary(type(obj), name)
    return summary(obj) if summary is not None else ""


def perform(obj: Any, name: str, *, by: User, given: Given) -> Step:
    """Take the step `name` that a page posted, through the service its module registered;
    the service's own guard (`require`) refuses what this user may not do now, so a forged
    post meets the same rule as the button. Refuses with a CaseError."""
    step = declared(type(obj)).get(name)
    performer = performer_for(obj, name)
    if step is None or step.internal or performer is None:
        raise CaseError(_("You may not take this step on this case."), code="forbidden")
    performer(obj, by, given)
    return step
