"""Print the current TOTP code of a demo account, so the demo can be tried without a phone."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current two-factor code of a demo account (DEBUG only; never for real accounts)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("email")

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("Only available while DEBUG is on.")
        device = TOTPDevice.objects.filter(
            user__email=str(options["email"]).lower(), user__is_demo=True, confirmed=True
        ).first()
        if device is None:
            raise CommandError("No demo account with that e-mail.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
