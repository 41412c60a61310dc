"""Seal keys in the admin: the registry is read here; keys change only through the services
(rotate an agency's key, revoke a key, bring in a peer's public key). The private half is
never shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import ReadOnlyAdmin
from accounts.admin_scope import AgencyScopedAdmin
from accounts.models import Agency, User
from seals import sm2
from seals.models import SealKey
from seals.services import seal_key_add_public, seal_key_revoke, seal_key_rotate


class PeerKeyForm(forms.ModelForm[SealKey]):
    """A peer agency's public key, as it sent it (hex)."""

    class Meta:
        model = SealKey
        fields = ("agency", "public_key", "valid_from")

    def clean_public_key(self) -> str:
        try:
            public = sm2.normalise_public(self.cleaned_data["public_key"])
        except sm2.NotAPublicKey as exc:
            raise forms.ValidationError(_("This is not an SM2 public key.")) from exc
        if SealKey.objects.filter(key_id=sm2.key_id(public)).exists():
            raise forms.ValidationError(_("This public key is already in the registry."))
        return public


@admin.register(SealKey)
class SealKeyAdmin(AgencyScopedAdmin, ReadOnlyAdmin):
    """An agency's staff see and manage their own agency's keys; a national administrator
    sees every agency's, peers' public keys included."""

    def scope(self, rows: QuerySet[Any], *, user: User, agency: Agency) -> QuerySet[Any]:
        return rows.filter(agency=agency)

    list_display = ("key_id", "agency", "key_status", "valid_from", "retired_at", "revoked_at")
    list_filter = ("agency",)
    search_fields = ("key_id", "agency__code", "agency__name")
    readonly_fields = (
        "agency",
        "key_id",
        "public_key",
        "valid_from",
        "retired_at",
        "revoked_at",
        "revoked_reason",
        "created_at",
        "created_by",
    )
    actions = ("rotate", "revoke")
    # Adding is bringing in a peer's public key; an existing key shows read-only.
    form = PeerKeyForm

    @admin.display(description=_("status"))
    def key_status(self, key: SealKey) -> str:
        return key.status

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("seals.add_sealkey")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: SealKey, form: Any, change: bool) -> None:
        # Only adding reaches here (nothing is editable): a peer's key, through the service.
        added = seal_key_add_public(
            agency=obj.agency, public_key=obj.public_key, valid_from=obj.valid_from, by=request.user
        )
        obj.pk = added.pk

    @admin.action(
        description=_("Generate a new sealing key for these keys' agencies"), permissions=["rotate"]
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[SealKey]) -> None:
        agencies = Agency.objects.filter(pk__in=queryset.values("agency")).order_by("pk")
        for agency in agencies:
            key = seal_key_rotate(agency=agency, by=request.user)
            self.message_user(
                request,
                _("%(agency)s now seals with key %(key)s.")
                % {"agency": agency.name, "key": key.key_id},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Revoke these keys (what they sealed is refused)"), permissions=["rotate"]
    )
    def revoke(self, request: HttpRequest, queryset: QuerySet[SealKey]) -> None:
        for key in queryset.order_by("pk"):
            seal_key_revoke(key=key, by=request.user, reason=str(_("Revoked in the admin")))
        self.message_user(request, _("The keys are revoked."), messages.WARNING)

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("seals.change_sealkey")
