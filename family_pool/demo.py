"""Demo family pool: a hospital and a pharmacy per demo agency with fixed, printed API keys
(demo only), a card for every demo person, a few bindings per agency (online with a quota,
online sharing the balance, one at the window), charges, a refund and a flagged charge.

Idempotent: institutions and cards are looked up by code and person, a holder who already
shares their account is left alone, and charges are keyed by fixed settlement numbers.
People are taken from the oldest of each agency (the withdrawal demo takes the newest), and
the ones chosen get a demo login so that their pages can be seen.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image

from accounts.choices import FamilyPoolCategory
from accounts.demo import DEMO_PASSWORD
from accounts.models import Agency, Enrollment, InsuredPerson, RegionPolicy, User
from cases.errors import CaseError
from family_pool import services
from family_pool.charging.cards import card_issue
from family_pool.charging.charges import charge_create
from family_pool.charging.institutions import hash_key, institution_issue_key
from family_pool.charging.refunds import charge_refund
from family_pool.models import Binding, Institution, InsuranceCard, Relation
from family_pool.rules import MIN_GENERATION_GAP_YEARS, holder_account, holder_refusals

AGENCY_CODES = ("441900-01", "430700-01", "440100-01", "330100-01")
CANDIDATES = 30
# Hangzhou reviews online bindings and pays long-term care and commercial insurance too.
REVIEW_REGION = "330100"
CAT = FamilyPoolCategory


def demo_key(code: str) -> str:
    return f"demo-{code.lower()}-key"  # demo only: production keys are random, shown once


def load_demo() -> list[str]:
    agencies = [a for a in Agency.objects.filter(code__in=AGENCY_CODES).order_by("code")]
    if not agencies:
        return []
    _policy()
    lines = ["", "Family pool (家庭共济) demo: institutions and their API keys (demo only):"]
    institutions = {a.pk: _institutions(a) for a in agencies}
    for pair in institutions.values():
        lines += [f"  {i.code:<14} {demo_key(i.code):<26} {i.name}" for i in pair]
    _cards()
    lines.append("  POST /api/institutions/charges with 'Authorization: Bearer <key>'")
    for agency in agencies:
        lines += _agency_demo(agency, institutions[agency.pk])
    return lines


def _policy() -> None:
    policy, _created = RegionPolicy.objects.get_or_create(region_id=REVIEW_REGION)
    update = []
    if policy.family_pool_online_review is None:
        policy.family_pool_online_review = True
        update.append("family_pool_online_review")
    if policy.family_pool_categories is None:
        policy.family_pool_categories = [c.value for c in CAT]
        update.append("family_pool_categories")
    if update:
        policy.save(update_fields=update)


def _institutions(agency: Agency) -> tuple[Institution, Institution]:
    made = []
    for kind, letter, label in (
        (Institution.Kind.HOSPITAL, "H", "人民医院"),
        (Institution.Kind.PHARMACY, "P", "大药房"),
    ):
        code = f"{letter}{agency.region_id}-01"
        institution, _created = Institution.objects.get_or_create(
            code=code,
            defaults={
                "name": f"{agency.region.name}{label}",
                "kind": kind,
                "region": agency.region,
            },
        )
        if institution.api_key_hash != hash_key(demo_key(code)):
            institution_issue_key(institution=institution, key=demo_key(code))
        made.append(institution)
    return made[0], made[1]


def _cards() -> None:
    without = InsuredPerson.objects.filter(insurance_cards__isnull=True).order_by("pk")
    for person in without:
        card_issue(person=person, number=f"C{person.id_number[:6]}{person.pk:09d}")


def _agency_demo(agency: Agency, institutions: tuple[Institution, Institution]) -> list[str]:
    people = list(
        InsuredPerson.objects.filter(
            enrollments__region_id=agency.region_id, enrollments__status=Enrollment.Status.ACTIVE
        )
        .exclude(cases__kind="transfer")
        .distinct()
        .order_by("pk")[:CANDIDATES]
    )
    holders = [p for p in people if _can_hold(p)]
    if not holders:
        return [f"  {agency.name}: no demo person can share an account"]
    lines = [
        f"  {agency.name} (bindings: holder → relative; both log in with ID number / "
        f"{DEMO_PASSWORD}):"
    ]
    pairs = _pairs(holders[:3], people)
    for position, (holder, relative) in enumerate(pairs):
        binding = _binding(agency, holder, relative, position)
        if binding is not None:
            lines.append(_describe(binding))
    lines += _charges(agency, institutions)
    return lines


def _can_hold(person: InsuredPerson) -> bool:
    account = holder_account(person)
    return account is not None and account.balance >= 300 and not holder_refusals(person)


def _pairs(
    holders: list[InsuredPerson], people: list[InsuredPerson]
) -> list[tuple[InsuredPerson, InsuredPerson]]:
    """Each holder with the next person who is not a holder; a fixed rule, so a second run
    finds the same pairs."""
    others = [p for p in people if p not in holders]
    return list(zip(holders, others, strict=False))


def _relation(holder: InsuredPerson, relative: InsuredPerson) -> str:
    years = (holder.birth_date - relative.birth_date).days // 366  # > 0: relative older
    gap = MIN_GENERATION_GAP_YEARS
    if years >= 2 * gap:
        return Relation.PATERNAL_GRANDPARENT
    if years >= gap:
        return Relation.PARENT
    if years <= -2 * gap:
        return Relation.MATERNAL_GRANDCHILD
    if years <= -gap:
        return Relation.CHILD
    return Relation.SPOUSE if holder.sex != relative.sex else Relation.SIBLING


def _login(person: InsuredPerson) -> User:
    user = User.objects.filter(person=person).first()
    if user is None:
        mobile = person.phone if not User.objects.filter(mobile=person.phone).exists() else None
        user = User(username=f"applicant-{person.pk}", person=person, mobile=mobile)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def _binding(
    agency: Agency, holder: InsuredPerson, relative: InsuredPerson, position: int
) -> Binding | None:
    done: Binding | None = Binding.objects.filter(holder=holder).order_by("pk").first()
    if done is not None:
        return done
    relation = _relation(holder, relative)
    owner = _login(holder)
    _login(relative)
    try:
        if position == 2:
            return _at_window(agency, holder, relative, relation)
        binding = services.binding_request(
            by=owner,
            other_id_number=relative.id_number,
            other_name=relative.name,
            relation=relation,
            as_holder=True,
        )
        if position == 0 and binding.state == Binding.State.ACTIVE:
            services.binding_set_quota(binding=binding, quota="200.00", by=owner)
        fresh: Binding = Binding.objects.get(pk=binding.pk)
        return fresh
    except CaseError:
        return None


def _at_window(
    agency: Agency, holder: InsuredPerson, relative: InsuredPerson, relation: str
) -> Binding | None:
    clerk = User.objects.filter(agency=agency, groups__name="clerk").order_by("username").first()
    if clerk is None:
        return None
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (240, 235, 225)).save(buffer, format="PNG")
    proof = SimpleUploadedFile("hukou.png", buffer.getvalue(), content_type="image/png")
    return services.binding_open_at_window(
        by=clerk, holder=holder, relative=relative, relation=relation, kinship_proof=proof
    )


def _describe(binding: Binding) -> str:
    quota = f", quota {binding.quota}" if binding.quota is not None else ""
    return (
        f"    {binding.holder.name} ({binding.holder.id_number}) → {binding.relative.name} "
        f"({binding.relative.id_number}), {binding.relation}, {binding.case.channel}, "
        f"{binding.state}{quota}; card {_card(binding.relative)}"
    )


def _card(person: InsuredPerson) -> str:
    card = InsuranceCard.objects.filter(person=person, active=True).order_by("pk").first()
    return card.number if card else "—"


def _charges(agency: Agency, institutions: tuple[Institution, Institution]) -> list[str]:
    hospital, pharmacy = institutions
    active = list(
        Binding.objects.filter(case__agency=agency, state=Binding.State.ACTIVE)
        .select_related("holder", "relative")
        .order_by("pk")[:2]
    )
    if not active:
        return []
    first = active[0]
    plans = [
        (hospital, first.relative, _card(first.relative), "58.00", CAT.HOSPITAL_SELF_PAY, "1"),
        (pharmacy, active[-1].relative, _card(active[-1].relative), "23.50", CAT.PHARMACY, "2"),
        (pharmacy, first.holder, _card(first.holder), "12.00", CAT.PHARMACY, "3"),
        # 冒名就医: the relative shows the holder's card. Refused and flagged for staff.
        (hospital, first.relative, _card(first.holder), "300.00", CAT.HOSPITAL_SELF_PAY, "X"),
    ]
    lines = []
    for institution, patient, card, amount, category, n in plans:
        number = f"DEMO-{agency.region_id}-{n}"
        try:
            charge_create(
                institution=institution,
                id_number=patient.id_number,
                card_number=card,
                amount=amount,
                category=category,
                settlement_number=number,
            )
        except CaseError as exc:
            lines.append(f"    charge {number}: refused ({exc.code})")
        else:
            lines.append(f"    charge {number}: {amount} for {patient.name} at {institution.code}")
    try:
        charge_refund(
            institution=pharmacy,
            settlement_number=f"DEMO-{agency.region_id}-2",
            refund_number=f"DEMO-RF-{agency.region_id}-2",
        )
    except CaseError as exc:
        lines.append(f"    refund of DEMO-{agency.region_id}-2: refused ({exc.code})")
    return lines
