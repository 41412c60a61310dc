"""Every institution's region has its settlement clearing account, which a charge credits."""

from django.db import migrations


def open_settlement_clearing(apps, schema_editor):
    Institution = apps.get_model("family_pool", "Institution")
    ClearingAccount = apps.get_model("accounts", "ClearingAccount")
    for region_id in Institution.objects.values_list("region_id", flat=True).distinct():
        ClearingAccount.objects.get_or_create(region_id=region_id, kind="settlement", peer=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_clearing_accounts"),
        ("family_pool", "0003_drop_covered_indexes"),
    ]

    operations = [
        migrations.RunPython(open_settlement_clearing, migrations.RunPython.noop),
    ]
