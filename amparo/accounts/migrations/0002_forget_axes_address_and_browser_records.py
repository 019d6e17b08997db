"""Delete what django-axes stored before amparo.accounts.lockout: failed and successful
sign-ins with address, user agent, form data, e-mail and microsecond time. Current locks
end with them (their accounts were keyed by plain e-mail, now by a keyed hash)."""

from django.db import migrations


def forget(apps, schema_editor):
    for name in ("AccessAttempt", "AccessFailureLog", "AccessLog"):
        apps.get_model("axes", name).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("axes", "0010_accessattemptexpiration")]

    operations = [migrations.RunPython(forget, migrations.RunPython.noop)]
