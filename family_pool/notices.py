"""What a binding tells the two people, one function per event. Each writes outbox rows in the
caller's transaction (cases.notifications)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import InsuredPerson
from cases.notifications import notify_person
from family_pool.models import Binding


def tell(person: InsuredPerson, binding: Binding, subject: str, body: str) -> None:
    notify_person(person=person, message=(subject, body), case=binding.case)


def _values(binding: Binding) -> dict[str, str]:
    return {
        "holder": binding.holder.name,
        "relative": binding.relative.name,
        "ref": binding.case.reference,
    }


def opened(binding: Binding) -> None:
    """Active: both are told. Pending: the holder still asked is asked; the one who asked is
    told it was received and who acts next."""
    values = _values(binding)
    if binding.state == Binding.State.ACTIVE:
        for person in (binding.holder, binding.relative):
            tell(
                person,
                binding,
                _("Family pool binding active"),
                _("%(relative)s may now use the personal account of %(holder)s.") % values,
            )
        return
    if binding.holder_consent_at is None:
        tell(
            binding.holder,
            binding,
            _("Family pool: please confirm"),
            _(
                "%(relative)s asked to use your personal account. Confirm or decline on the "
                "family pool page; nothing is shared until you confirm."
            )
            % values,
        )
        tell(
            binding.relative,
            binding,
            _("Family pool request %(ref)s received") % values,
            _(
                "Your request %(ref)s to use the personal account of %(holder)s was received. "
                "%(holder)s must confirm it; nothing is shared before that."
            )
            % values,
        )
        return
    tell(
        binding.holder,
        binding,
        _("Family pool request %(ref)s received") % values,
        _(
            "Your request %(ref)s to share your personal account with %(relative)s was "
            "received. The agency reviews it; you will be told the result."
        )
        % values,
    )


def withdrawn(binding: Binding) -> None:
    text = _("The request to share %(holder)s's account with %(relative)s was withdrawn.")
    for person in (binding.holder, binding.relative):
        tell(person, binding, _("Family pool request withdrawn"), text % _values(binding))


def ended(binding: Binding, reason: str) -> None:
    values = {**_values(binding), "reason": reason}
    for person in (binding.holder, binding.relative):
        tell(
            person,
            binding,
            _("Family pool binding ended"),
            _("The binding between %(holder)s and %(relative)s has ended. %(reason)s") % values,
        )
