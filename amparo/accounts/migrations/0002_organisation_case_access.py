from django.db import migrations, models


class Migration(migrations.Migration):
    """Who reads case files. Existing organisations keep today's team-wide access (no one
    loses the cases they work on at deployment); new organisations start with assigned staff
    only (docs/decisions/0014-assignment-based-case-access.md)."""

    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="organisation",
            name="case_access",
            field=models.CharField(
                choices=[
                    ("assigned", "Only the staff assigned to the case"),
                    ("team", "Every case worker and legal adviser of the organisation"),
                ],
                default="team",
                help_text=(
                    "With assigned staff only, a case worker or legal adviser reads only the cases assigned to them; "
                    "case workers also see cases without an active case worker, so that someone takes them on."
                ),
                max_length=10,
                verbose_name="who reads case files",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="organisation",
            name="case_access",
            field=models.CharField(
                choices=[
                    ("assigned", "Only the staff assigned to the case"),
                    ("team", "Every case worker and legal adviser of the organisation"),
                ],
                default="assigned",
                help_text=(
                    "With assigned staff only, a case worker or legal adviser reads only the cases assigned to them; "
                    "case workers also see cases without an active case worker, so that someone takes them on."
                ),
                max_length=10,
                verbose_name="who reads case files",
            ),
        ),
    ]
