"""Who may take each step of a family-pool binding: the rules its transitions name. The
holder's agency reviews; either person ends a binding of theirs (DOMAIN.md §1)."""

from __future__ import annotations

from typing import Any

import rules

from cases.permissions import of_case_agency, processes_cases


@rules.predicate
def is_holder(user: Any, binding: Any) -> bool:
    person = getattr(user, "person_id", None)
    return binding is not None and person is not None and person == binding.holder_id


@rules.predicate
def is_relative(user: Any, binding: Any) -> bool:
    person = getattr(user, "person_id", None)
    return binding is not None and person is not None and person == binding.relative_id


@rules.predicate
def holder_agreed(user: Any, binding: Any) -> bool:
    return binding is not None and binding.holder_consent_at is not None


@rules.predicate
def is_active(user: Any, binding: Any) -> bool:
    return binding is not None and binding.state == "active"


clerk = of_case_agency & processes_cases

# The agency reviews a request only once the holder has agreed to share the account.
rules.add_perm("family_pool.review", clerk & holder_agreed)
rules.add_perm("family_pool.answer", is_holder & ~holder_agreed)
# An active binding is ended; a pending request is withdrawn by whoever stands behind it (the
# relative who asked, or the holder once they agreed), and declined by a holder still asked.
rules.add_perm("family_pool.end", (is_holder | is_relative | clerk) & is_active)
rules.add_perm("family_pool.withdraw", is_relative | (is_holder & holder_agreed))
