"""Messages get random ids and keep their order in a `seq` per conversation.

Existing messages are numbered in the order of their old (sequential) ids, per signal.
"""

from django.db import migrations, models

import amparo.core.bulk


def number_messages(apps, schema_editor):
    Message = apps.get_model("reports", "Message")
    place: dict[int, int] = {}
    for message in Message.objects.order_by("signal_id", "id").only("id", "signal_id"):
        place[message.signal_id] = place.get(message.signal_id, 0) + 1
        Message.objects.filter(pk=message.pk).update(seq=place[message.signal_id])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0003_random_ids"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="seq",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(number_messages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="seq",
            field=models.PositiveIntegerField(editable=False),
        ),
        migrations.AlterField(
            model_name="message",
            name="id",
            field=models.BigIntegerField(
                default=amparo.core.bulk.random_id, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AlterModelOptions(
            name="message",
            options={"ordering": ["seq"]},
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(fields=("signal", "seq"), name="reports_message_seq"),
        ),
    ]
