"""The choices a region policy is made of: which family-pool categories a region allows, and
on which grounds a balance may be withdrawn. Models store them; accounts.policy resolves them."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FamilyPoolCategory(models.TextChoices):
    HOSPITAL_SELF_PAY = "hospital_self_pay", _("Self-paid share at a designated hospital")
    PHARMACY = "pharmacy", _("Drugs, devices and supplies at a designated pharmacy")
    RESIDENT_CONTRIBUTION = "resident_contribution", _("Resident-scheme contribution")
    LTC_CONTRIBUTION = "ltc_contribution", _("Long-term care insurance contribution")
    COMMERCIAL_INSURANCE = "commercial_insurance", _("Commercial health insurance premium")


class WithdrawalGround(models.TextChoices):
    SERIOUS_ILLNESS = "serious_illness", _("Serious illness")
    LEAVING_SCHEME = "leaving_scheme", _("Voluntarily leaving the employee scheme")
    LIVING_ELSEWHERE = "living_elsewhere", _("Long residence elsewhere")
    DEATH = "death", _("Death of the insured person")
    EMIGRATION = "emigration", _("Emigration, or a foreigner leaving China")
    DESTINATION_REFUSES = "destination_refuses", _("Destination agency will not take the balance")
    RELOCATED_RETIREE = "relocated_retiree", _("Cross-province relocated retiree")
