"""Create an organisation and invite its first administrator (the platform operator's job)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from amparo.accounts.models import INVITATION_VALID_FOR, Invitation, Organisation, OrganisationType, User, hash_token
from amparo.core import audit
from amparo.core.permissions import Role


class Command(BaseCommand):
    help = "Create an organisation and print a one-time invitation link for its first administrator."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--name", required=True)
        parser.add_argument("--type", required=True, choices=OrganisationType.values)
        parser.add_argument("--country", required=True, help="ISO 3166-1 alpha-3, e.g. MEX")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where the site is served")

    def handle(self, *args: object, **options: str) -> None:
        email = options["admin_email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise CommandError("That e-mail address already has an account.")
        organisation = Organisation(name=options["name"], org_type=options["type"], country=options["country"].upper())
        try:
            organisation.full_clean()
        except ValidationError as error:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())) from error
        token = Invitation.new_token()
        with transaction.atomic():
            organisation.save()
            invitation = Invitation.objects.create(
                organisation=organisation,
                email=email,
                role=Role.ORG_ADMIN,
                token_hash=hash_token(token),
                expires_at=timezone.now() + INVITATION_VALID_FOR,
            )
            audit.record(actor=None, action="organisation.create", obj=organisation, organisation_id=organisation.pk)
            audit.record(actor=None, action="staff.invite", obj=invitation, reason=f"{email} as org_admin")
        link = options["base_url"].rstrip("/") + reverse("accounts:invitation_accept", kwargs={"token": token})
        self.stdout.write(f"Created {organisation.name}. Send this one-time link to {email} (valid 7 days):")
        self.stdout.write(link)
        if not settings.DEBUG:
            self.stdout.write("The link is a secret: send it through a channel only that person reads.")
