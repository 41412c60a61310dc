# The code is filled for every row by 0006 (a separate migration: PostgreSQL will not alter a
# table in the transaction that updated its rows while triggers are pending).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("transfers", "0006_info_table_verification"),
    ]

    operations = [
        migrations.AlterField(
            model_name="infotable",
            name="verification_code",
            field=models.CharField(
                editable=False, max_length=19, unique=True, verbose_name="verification code"
            ),
        ),
    ]
