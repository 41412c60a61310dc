"""Who may open what: every URL of the portal, asked by every persona, against one table.

The URLs come from the URL configuration itself (walked recursively); a URL name without a
row in TABLE fails `test_every_url_has_a_rule`, so a new page cannot ship without someone
deciding who may see it. Admin URLs are sampled: the index and each registered model's
changelist and change page.

Personas: anonymous; the applicant whose case it is ("own") and another applicant ("other");
each staff role in the case's agency ("<role>_same", Dongguan) and in an unrelated agency
("<role>_other", Guangzhou, same province). Someone else's case is a 404, never a 403: a
stranger must not even learn that it exists.

Step endpoints (POST only) answer GET with 405; each persona's POST runs in a transaction
that is rolled back, and a snapshot of every row a step could touch tells DONE (the step was
taken) from REFUSED (a message, nothing changed). A 404/403 must change nothing either."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlparse

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from tests.access.world import PERSONAS, ROLES, World, build_world, state_fingerprint
from tests.withdrawals.factories import upload

# --- outcomes ---------------------------------------------------------------------------------

OK = "200 page"
LOGIN = "302 to the login page"
ADMIN_LOGIN = "302 to the admin login"
GONE = "302 to the admin index (no such object for this user)"
REDIRECT = "302 elsewhere"
NOT_FOUND = "404"
FORBIDDEN = "403"
NOT_ALLOWED = "405"
NO_KEY = "401 (API key needed)"
NO_CONTENT = "204"
DONE = "step taken"
REFUSED = "refused, nothing changed"

CASE_ROLES = ("clerk", "reviewer", "supervisor", "auditor")


def staff(
    clerk: str, reviewer: str, supervisor: str, auditor: str, sysadmin: str = NOT_FOUND
) -> dict[str, str]:
    return {
        "clerk": clerk,
        "reviewer": reviewer,
        "supervisor": supervisor,
        "auditor": auditor,
        "sysadmin": sysadmin,
    }


def who(
    *,
    own: str,
    other: str = NOT_FOUND,
    same: str | Mapping[str, str],
    elsewhere: str | Mapping[str, str] = NOT_FOUND,
    anon: str = LOGIN,
) -> dict[str, str]:
    """One outcome per persona; `same`/`elsewhere` is one outcome for every staff role or a
    role -> outcome mapping (see `staff`)."""
    row = {"anon": anon, "own": own, "other": other}
    for side, value in (("same", same), ("other", elsewhere)):
        for role in ROLES:
            row[f"{role}_{side}"] = value if isinstance(value, str) else value[role]
    return row


def everyone(outcome: str, *, anon: str | None = None) -> dict[str, str]:
    return who(own=outcome, other=outcome, same=outcome, elsewhere=outcome, anon=anon or outcome)


@dataclass(frozen=True)
class Rule:
    expect: Mapping[str, str]
    post: bool = False  # a step: GET answers 405, `expect` is for a POST
    target: str | None = (
        None  # the world's object that fills the URL (and whose applicant is "own")
    )
    action: str = ""  # the <slug:action> of step URLs
    data: Callable[[World], dict[str, Any]] = field(default=lambda w: {})


APPLICANT_PAGE = who(own=OK, other=OK, same=NOT_FOUND, elsewhere=NOT_FOUND)
# A page about the user's own agency (queue, review queue, flags): the same for either agency.
AGENCY_PAGE = staff(OK, OK, OK, OK)
STAFF_PAGE = who(own=NOT_FOUND, same=AGENCY_PAGE, elsewhere=AGENCY_PAGE)
CLERK_DESK = staff(OK, NOT_FOUND, OK, NOT_FOUND)
CLERK_PAGE = who(own=NOT_FOUND, same=CLERK_DESK, elsewhere=CLERK_DESK)
CASE_PAGE = who(own=OK, same=staff(OK, OK, OK, OK))
# The origin side's first step: a clerk or supervisor takes it, a reviewer or auditor is told no.
FIRST_STEP = staff(DONE, REFUSED, DONE, REFUSED)
API_POST = everyone(NO_KEY)


def _file(kind: str = "other") -> Callable[[World], dict[str, Any]]:
    return lambda w: {"kind": kind, "file": upload("scan.png")}


def admin_model(label: str, viewers: tuple[str, ...], *, scoped: bool = False) -> dict[str, Rule]:
    """The changelist and change page of one registered model. Staff without its view
    permission get 403; with `scoped`, staff of another agency do not find the object."""
    app, model = label.split(".")
    same = {role: OK if role in viewers else FORBIDDEN for role in ROLES}
    elsewhere = {role: (GONE if scoped else OK) if role in viewers else FORBIDDEN for role in ROLES}
    pages = who(anon=ADMIN_LOGIN, own=ADMIN_LOGIN, other=ADMIN_LOGIN, same=same, elsewhere=same)
    change = who(
        anon=ADMIN_LOGIN, own=ADMIN_LOGIN, other=ADMIN_LOGIN, same=same, elsewhere=elsewhere
    )
    return {
        f"admin:{app}_{model}_changelist": Rule(pages),
        f"admin:{app}_{model}_change": Rule(change, target=f"admin:{label}"),
    }


ADMINS = (*CASE_ROLES, "sysadmin")
NOBODY: tuple[str, ...] = ()

TABLE: dict[str, Rule] = {
    # --- sign-in and home --------------------------------------------------------------------
    "set_language": Rule(everyone(REDIRECT)),  # a GET changes nothing, back to where it was
    "remember_english": Rule(everyone(REDIRECT)),  # an old /en/ address: the same page
    "accounts:home": Rule(who(own=OK, other=OK, same=OK, elsewhere=OK)),
    "accounts:login": Rule(everyone(REDIRECT, anon=OK)),
    "accounts:logout": Rule(everyone(NOT_ALLOWED)),  # POST only, for anyone
    "accounts:text_size": Rule(everyone(NOT_ALLOWED)),  # POST only, a cookie, for anyone
    "accounts:signup": Rule(everyone(OK)),
    "accounts:signup_confirm": Rule(everyone(REDIRECT)),  # nothing started in this session
    # Applicants need no second factor, but may set one up (security hardening A's pages).
    "accounts:otp_setup": Rule(who(own=OK, other=OK, same=OK, elsewhere=OK)),
    "accounts:otp_verify": Rule(
        who(own=REDIRECT, other=REDIRECT, same=REDIRECT, elsewhere=REDIRECT)
    ),
    # --- freezes: staff of the account's agency see them, its supervisors lift them ----------
    "accounts:freezes": Rule(who(own=NOT_FOUND, same=AGENCY_PAGE), target="account"),
    "accounts:unfreeze": Rule(
        who(own=NOT_FOUND, same=staff(REFUSED, REFUSED, DONE, REFUSED)),
        post=True,
        target="freeze",
        data=lambda w: {"reason": "court lifted it", "document": upload("lift.pdf")},
    ),
    # --- shared case pages -------------------------------------------------------------------
    "cases:queue": Rule(STAFF_PAGE),
    "cases:dashboard": Rule(STAFF_PAGE),
    # The team's figures: supervisors and auditors of any agency (their own agency's).
    "cases:forecast": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, OK, OK),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, OK, OK),
        )
    ),
    "cases:report": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, OK, OK),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, OK, OK),
        )
    ),
    # The queue as CSV with personal data: supervisors and auditors of any agency (their own).
    "cases:export": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, OK, OK),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, OK, OK),
        )
    ),
    "cases:export_xlsx": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, OK, OK),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, OK, OK),
        )
    ),
    "cases:escalations": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, OK, FORBIDDEN),
        )
    ),
    "cases:search": Rule(STAFF_PAGE),
    # Bulk assignment is the supervisors'; posted with no case ticked, it changes nothing.
    "cases:bulk_assign": Rule(
        who(
            own=NOT_FOUND,
            same=staff(FORBIDDEN, FORBIDDEN, REFUSED, FORBIDDEN),
            elsewhere=staff(FORBIDDEN, FORBIDDEN, REFUSED, FORBIDDEN),
        ),
        post=True,
    ),
    "cases:inbox": Rule(who(own=OK, other=OK, same=OK, elsewhere=OK)),
    "cases:mine": Rule(APPLICANT_PAGE),
    "cases:detail": Rule(
        who(own=REDIRECT, same=staff(REDIRECT, REDIRECT, REDIRECT, REDIRECT)), target="withdrawal"
    ),
    "cases:document": Rule(CASE_PAGE, target="document"),
    "cases:assign": Rule(
        who(own=NOT_FOUND, same=staff(DONE, DONE, DONE, NOT_FOUND)), post=True, target="withdrawal"
    ),
    "cases:inbox_read": Rule(who(own=DONE, same=NOT_FOUND), post=True, target="notification"),
    # Marks the asker's own messages read, nobody else's: in the world only the owner and the
    # supervisor (told of the flagged charge) have unread ones.
    "cases:inbox_read_all": Rule(
        who(
            own=DONE,
            other=REFUSED,
            same=staff(REFUSED, REFUSED, DONE, REFUSED, REFUSED),
            elsewhere=REFUSED,
        ),
        post=True,
    ),
    # A text message's short link: the case page after sign-in, as cases:detail.
    "cases:short_link": Rule(
        who(own=REDIRECT, same=staff(REDIRECT, REDIRECT, REDIRECT, REDIRECT)), target="withdrawal"
    ),
    "cases:document_upload": Rule(
        who(own=DONE, same=staff(DONE, NOT_FOUND, DONE, NOT_FOUND)),
        post=True,
        target="withdrawal",
        data=_file(),
    ),
    "cases:note_add": Rule(
        who(own=NOT_FOUND, same=staff(DONE, DONE, DONE, REFUSED)),
        post=True,
        target="withdrawal",
        data=lambda w: {"text": "checked by phone"},
    ),
    "cases:reveal_id": Rule(
        who(own=NOT_FOUND, same=staff(FORBIDDEN, FORBIDDEN, DONE, DONE)),
        post=True,
        target="withdrawal",
    ),
    # --- transfers ---------------------------------------------------------------------------
    "transfers:mine": Rule(APPLICANT_PAGE),
    "transfers:apply": Rule(APPLICANT_PAGE),
    "transfers:intake": Rule(CLERK_PAGE),
    "transfers:reconciliation": Rule(STAFF_PAGE),
    "transfers:detail": Rule(CASE_PAGE, target="transfer"),
    "transfers:info_table_pdf": Rule(CASE_PAGE, target="transfer"),
    "transfers:receipt_pdf": Rule(CASE_PAGE, target="transfer"),
    "transfers:refusal_notice_pdf": Rule(CASE_PAGE, target="transfer_refused"),
    # Public: whoever holds a printed information table checks it, signed in or not.
    "transfers:verify": Rule(everyone(OK)),
    "transfers:act": Rule(
        who(own=NOT_FOUND, same=FIRST_STEP), post=True, target="transfer_new", action="accept"
    ),
    "transfers:cancel": Rule(
        who(own=DONE, same=staff(DONE, REFUSED, DONE, REFUSED)), post=True, target="transfer_new"
    ),
    "transfers:upload": Rule(
        who(own=DONE, same=NOT_FOUND), post=True, target="transfer_new", data=_file()
    ),
    # --- family pool -------------------------------------------------------------------------
    "family_pool:index": Rule(APPLICANT_PAGE),
    "family_pool:bind": Rule(APPLICANT_PAGE),
    "family_pool:order": Rule(APPLICANT_PAGE),
    "family_pool:statement": Rule(APPLICANT_PAGE),
    "family_pool:detail": Rule(CASE_PAGE, target="binding"),
    "family_pool:quota": Rule(
        who(own=DONE, same=staff(REFUSED, REFUSED, REFUSED, REFUSED)),
        post=True,
        target="binding",
        data=lambda w: {"quota": "100.00"},
    ),
    # A clerk ends a binding at the window on the people's behalf.
    "family_pool:act": Rule(
        who(own=DONE, same=staff(DONE, REFUSED, DONE, REFUSED)),
        post=True,
        target="binding",
        action="end",
        data=lambda w: {"confirmed": "1"},
    ),
    "family_pool:consent": Rule(
        who(own=REFUSED, same=staff(REFUSED, REFUSED, REFUSED, REFUSED)),
        post=True,
        target="binding_pending",
        data=lambda w: {"answer": "agree"},
    ),
    "family_pool:review": Rule(STAFF_PAGE),
    "family_pool:window": Rule(CLERK_PAGE),
    "family_pool:person_search": Rule(STAFF_PAGE),
    "family_pool:person": Rule(who(own=NOT_FOUND, same=AGENCY_PAGE), target="person"),
    "family_pool:flags": Rule(STAFF_PAGE),
    # The clearing report of the user's own agency: its supervisors and auditors only.
    "audit:clearing": Rule(
        who(
            own=NOT_FOUND,
            same=staff(NOT_FOUND, NOT_FOUND, OK, OK),
            elsewhere=staff(NOT_FOUND, NOT_FOUND, OK, OK),
        )
    ),
    "family_pool:flag_review": Rule(
        who(own=NOT_FOUND, same=staff(DONE, REFUSED, DONE, REFUSED)),
        post=True,
        target="flag",
        data=lambda w: {"note": "called the hospital"},
    ),
    # --- withdrawals and emergency refunds ---------------------------------------------------
    "withdrawals:home": Rule(APPLICANT_PAGE),
    "withdrawals:apply": Rule(APPLICANT_PAGE),
    "withdrawals:apply_confirm": Rule(
        who(own=REDIRECT, other=REDIRECT, same=NOT_FOUND, elsewhere=NOT_FOUND)
    ),
    "withdrawals:window": Rule(CLERK_PAGE),
    "withdrawals:detail": Rule(CASE_PAGE, target="withdrawal"),
    "withdrawals:act": Rule(
        who(own=REFUSED, same=FIRST_STEP),
        post=True,
        target="withdrawal",
        action="first_review",
    ),
    "withdrawals:refund_apply": Rule(APPLICANT_PAGE),
    "withdrawals:refund_detail": Rule(CASE_PAGE, target="refund"),
    "withdrawals:refund_act": Rule(
        who(own=REFUSED, same=FIRST_STEP),
        post=True,
        target="refund",
        action="approve",
        data=lambda w: {"amount": "300.00"},
    ),
    # --- the charging API: an institution's key, never a session -----------------------------
    "family_pool_api:api-root": Rule(everyone(NOT_FOUND)),
    "family_pool_api:openapi-json": Rule(everyone(OK)),
    "family_pool_api:get_charge": Rule(everyone(NO_KEY), target="charge"),
    "family_pool_api:create_charge": Rule(API_POST, post=True),
    "family_pool_api:refund_charge": Rule(
        API_POST, post=True, target="charge", data=lambda w: {"refund_number": "R-1"}
    ),
    # --- admin (sampled) ---------------------------------------------------------------------
    "admin:index": Rule(
        who(anon=ADMIN_LOGIN, own=ADMIN_LOGIN, other=ADMIN_LOGIN, same=OK, elsewhere=OK)
    ),
    **admin_model("auth.group", ("sysadmin",)),
    **admin_model("accounts.user", ("auditor", "sysadmin"), scoped=True),
    **admin_model("accounts.region", ADMINS),
    **admin_model("accounts.agency", ADMINS),
    **admin_model("accounts.regionpolicy", ADMINS),
    **admin_model("accounts.insuredperson", CASE_ROLES, scoped=True),
    **admin_model("accounts.enrollment", CASE_ROLES, scoped=True),
    **admin_model("accounts.personalaccount", CASE_ROLES, scoped=True),
    **admin_model("accounts.ledgertransaction", CASE_ROLES, scoped=True),
    **admin_model("accounts.ledgerentry", CASE_ROLES, scoped=True),
    **admin_model("accounts.accountfreeze", CASE_ROLES, scoped=True),
    **admin_model("audit.auditevent", ("auditor",), scoped=True),
    **admin_model("seals.sealkey", ("auditor",), scoped=True),
    **admin_model("axes.accessattempt", ("auditor",)),
    **admin_model("axes.accesslog", NOBODY),
    **admin_model("axes.accessfailurelog", NOBODY),
    **admin_model("otp_totp.totpdevice", NOBODY),
    **admin_model("cases.calendaroverride", ADMINS),
    **admin_model("cases.calendaryear", ADMINS),
    **admin_model("cases.case", CASE_ROLES, scoped=True),
    **admin_model("cases.caseevent", CASE_ROLES, scoped=True),
    **admin_model("cases.document", CASE_ROLES, scoped=True),
    **admin_model("cases.deadline", CASE_ROLES, scoped=True),
    **admin_model("cases.notification", CASE_ROLES, scoped=True),
    **admin_model("transfers.transfer", CASE_ROLES, scoped=True),
    **admin_model("transfers.infotable", CASE_ROLES, scoped=True),
    **admin_model("transfers.bankpayout", CASE_ROLES, scoped=True),
    **admin_model("transfers.creditmismatch", CASE_ROLES, scoped=True),
    **admin_model("family_pool.binding", CASE_ROLES, scoped=True),
    **admin_model("family_pool.institution", ADMINS, scoped=True),
    **admin_model("family_pool.insurancecard", CASE_ROLES, scoped=True),
    **admin_model("family_pool.charge", CASE_ROLES, scoped=True),
    **admin_model("family_pool.flaggedcharge", CASE_ROLES, scoped=True),
    **admin_model("withdrawals.withdrawal", CASE_ROLES, scoped=True),
    **admin_model("withdrawals.emergencyrefund", CASE_ROLES, scoped=True),
}


# --- the URL configuration ----------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    name: str
    route: str


def walk(resolver: URLResolver | None = None, namespace: str = "", route: str = "") -> list[Found]:
    resolver = resolver or get_resolver()
    found: list[Found] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace or "") if n)
            found += walk(entry, inner, route + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            found.append(Found(name or f"<unnamed {route}{entry.pattern}>", route))
    return found


URLS = walk()


def _sampled_admin_names() -> set[str]:
    names = {"admin:index"}
    for model in admin.site._registry:
        opts = model._meta
        names |= {
            f"admin:{opts.app_label}_{opts.model_name}_changelist",
            f"admin:{opts.app_label}_{opts.model_name}_change",
        }
    return names


def test_every_url_has_a_rule():
    """A page nobody decided about fails here: add it to TABLE with who may see it."""
    names = {f.name for f in URLS}
    admin_names = {n for n in names if n.startswith("admin:") or n.startswith("<unnamed admin/")}
    required = (names - admin_names) | _sampled_admin_names()

    missing = sorted(required - TABLE.keys())
    stale = sorted(TABLE.keys() - names)

    assert not missing, f"URLs without a rule in TABLE: {missing}"
    assert not stale, f"rules for URLs that no longer exist: {stale}"


def test_the_walk_reaches_the_included_patterns():
    names = {f.name for f in URLS}

    assert {"transfers:detail", "admin:index", "cases:document"} <= names
    assert "family_pool_api:create_charge" in names


# --- asking ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at its end; each
    test runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        yield built
        transaction.set_rollback(True)


def _target(world: World, target: str | None) -> Any:
    if target is None:
        return None
    if target.startswith("admin:"):
        return _admin_object(world, target.removeprefix("admin:"))
    objects = {
        "transfer": world.transfer,
        "transfer_new": world.transfer_new,
        "transfer_refused": world.transfer_refused,
        "withdrawal": world.withdrawal,
        "refund": world.refund,
        "binding": world.binding,
        "binding_pending": world.binding_pending,
        "document": world.document,
        "notification": world.notification,
        "flag": world.flag,
        "charge": world.charge,
        "person": world.binding.holder,
        "account": world.freeze.account,
        "freeze": world.freeze,
    }
    return objects[target]


def _admin_object(world: World, label: str) -> Any:
    """A row of the model; for case data one of the Dongguan cases, so that scoping shows."""
    from django.apps import apps

    from audit.models import AuditEvent
    from cases.models import Deadline

    case = world.withdrawal.case
    chosen = {
        "cases.case": case,
        "cases.caseevent": case.events.first(),
        "cases.document": world.document,
        "cases.deadline": Deadline.objects.filter(case=case).first(),
        "cases.notification": world.notification,
        "transfers.transfer": world.transfer,
        "transfers.infotable": getattr(world.transfer, "info_table", None),
        "transfers.bankpayout": getattr(world.payout_transfer, "payout", None),
        "transfers.creditmismatch": world.transfer.mismatches.first()
        if hasattr(world.transfer, "mismatches")
        else None,
        "family_pool.binding": world.binding,
        "family_pool.charge": world.charge,
        "family_pool.flaggedcharge": world.flag,
        "withdrawals.withdrawal": world.withdrawal,
        "withdrawals.emergencyrefund": world.refund,
        "accounts.user": world.owners["withdrawal"],
        "auth.group": None,
        # A Dongguan clerk's sign-in: seal keys issued for the agencies are logged first.
        "audit.auditevent": AuditEvent.objects.filter(action="login").order_by("pk").first(),
    }
    row = chosen.get(label)
    if row is None:
        row = apps.get_model(label).objects.order_by("pk").first()
    assert row is not None, f"the world has no {label} row"
    return row


def _kwargs(world: World, rule: Rule, name: str) -> dict[str, Any]:
    obj = _target(world, rule.target)
    values: dict[str, Any] = {}
    if rule.action:
        values["action"] = rule.action
    if obj is None:
        return values
    if rule.target and rule.target.startswith("admin:"):
        return {"object_id": quote(str(obj.pk))}
    key = {
        "document": "document_id",
        "notification": "notification_id",
        "flag": "flag_id",
        "person": "person_id",
        "charge": "settlement_number",
        "account": "account_id",
        "freeze": "freeze_id",
    }.get(rule.target or "", "case_id")
    values[key] = obj.settlement_number if key == "settlement_number" else obj.pk
    return values


def _user(world: World, persona: str, rule: Rule):
    if persona == "anon":
        return None
    if persona == "own":
        target = rule.target if rule.target in world.owners else None
        return world.owners[target]
    if persona == "other":
        return world.stranger
    return world.users[persona]


def _outcome(response, *, post: bool, changed: bool) -> str:
    code = response.status_code
    if code == 302:
        path = urlparse(response["Location"]).path
        if path.endswith("/admin/login/"):
            return ADMIN_LOGIN
        if path.endswith("/login/"):
            return LOGIN
        if not post and path == "/admin/":
            return GONE
    if post and code in (200, 302):
        return DONE if changed else REFUSED
    plain = {
        200: OK,
        204: NO_CONTENT,
        302: REDIRECT,
        401: NO_KEY,
        403: FORBIDDEN,
        404: NOT_FOUND,
        405: NOT_ALLOWED,
    }.get(code, str(code))
    return f"{plain} AND CHANGED STATE" if changed else plain


def _ask(world: World, rule: Rule, url: str, persona: str, *, post: bool) -> str:
    client = world.client_for(_user(world, persona, rule))
    # Every request runs in a savepoint rolled back after it: each persona meets the same world.
    # The language a request activates stays on the thread: restored after it.
    with translation.override(translation.get_language()), transaction.atomic():
        if post:
            before = state_fingerprint()
            response = client.post(url, data=rule.data(world))
            changed = state_fingerprint() != before
        else:
            response, changed = client.get(url), False
        transaction.set_rollback(True)
    return _outcome(response, post=post, changed=changed)


def _urls(world: World, rule: Rule, name: str) -> list[tuple[str, tuple[str, ...]]]:
    """The URL, for every persona (a page has one address in every language)."""
    kwargs = _kwargs(world, rule, name)
    if name == "remember_english":
        kwargs = {"rest": "transfers/apply/"}
    return [(reverse(name, kwargs=kwargs), PERSONAS)]


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TABLE))
def test_access(world, name):
    rule = TABLE[name]
    wrong = []

    for url, personas in _urls(world, rule, name):
        for persona in personas:
            expected = rule.expect[persona]
            if rule.post:
                get_expected = LOGIN if persona == "anon" and expected == LOGIN else NOT_ALLOWED
                if name.startswith("family_pool_api:"):
                    get_expected = NOT_ALLOWED
                got_get = _ask(world, rule, url, persona, post=False)
                if got_get != get_expected:
                    wrong.append(f"GET  {url} as {persona}: expected {get_expected}, got {got_get}")
            got = _ask(world, rule, url, persona, post=rule.post)
            if got != expected:
                verb = "POST" if rule.post else "GET "
                wrong.append(f"{verb} {url} as {persona}: expected {expected}, got {got}")

    assert not wrong, "\n".join(wrong)
