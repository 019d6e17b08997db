"""Referral inbox at scale: 100,000 referrals across 100 organisations, "Waiting for us".

    .venv/bin/python bench/referral_inbox.py                    # SQLite (fresh file in a temp dir)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo_bench_ref \\
        .venv/bin/python bench/referral_inbox.py                 # PostgreSQL (database dropped and created)

Each organisation publishes one service; referrals go from a random organisation to another's
service, with statuses spread as a live network would have them (a third still waiting, some
overdue). Measured, for a case worker of one organisation (about 1,000 referrals received):
  - the page "Waiting for us" (GET /referrals/, first page: routing, middleware, session,
    scoping, the audit entry of the list, template), through the Django test client;
  - the same list through the API (GET /api/v1/referrals/);
  - the floor: a plain indexed SELECT of the same 25 rows (receiver, status, due_at);
  - the "Referral figures" page over the last 365 days (GET /referrals/figures/?period=365:
    sent and received, every aggregate and breakdown, six SVG charts; decision 0031).
Target: p95 < 150 ms for the page.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def measure(fn, count: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    fn()
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1]}


def child(size: int, orgs_count: int, queries: int, var_dir: str) -> None:
    os.environ["AMPARO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Organisation, OrganisationType, User
    from amparo.core.permissions import Role
    from amparo.referrals import services
    from amparo.referrals.models import Referral, Service, ServiceType

    setup_test_environment()
    call_command("migrate", verbosity=0)
    services.load_global_types()
    rng = random.Random(20)
    t0 = time.perf_counter()
    orgs = [
        Organisation.objects.create(name=f"Bench org {i}", org_type=OrganisationType.NGO, country="MEX")
        for i in range(orgs_count)
    ]
    types = list(ServiceType.objects.filter(organisation=None))
    offered = [
        Service.objects.create(
            organisation=org, name=f"Service of {org.name}", service_type=rng.choice(types), intake_contact="+00"
        )
        for org in orgs
    ]
    type_code = {s.pk: s.service_type.code for s in Service.objects.select_related("service_type")}
    statuses = ["sent"] * 30 + ["accepted"] * 15 + ["in_progress"] * 15 + ["done"] * 25 + ["declined"] * 10
    statuses += ["revoked"] * 5
    now = timezone.now()
    rows = []
    for _ in range(size):
        service = rng.choice(offered)
        sender = rng.choice(orgs)
        while sender.pk == service.organisation_id:
            sender = rng.choice(orgs)
        sent_at = now - datetime.timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        status = rng.choice(statuses)
        answered = status in ("accepted", "in_progress", "done", "declined")
        rows.append(
            Referral(
                sender=sender,
                receiver_id=service.organisation_id,
                service=service,
                service_type_code=type_code[service.pk],
                field_set="shelter_intake",
                field_sets_version="2026.1",
                basis="agreement",
                sealed_content=rng.randbytes(512),
                status=status,
                decided_at=sent_at + datetime.timedelta(minutes=rng.randint(5, 60 * 96)) if answered else None,
                decline_reason=rng.choice(["no_capacity", "not_eligible", "out_of_area"])
                if status == "declined"
                else "",
                outcome=rng.choice(["provided", "partly", "person_left"]) if status == "done" else "",
                sent_at=sent_at,
                due_at=sent_at + datetime.timedelta(hours=72) + datetime.timedelta(days=rng.randint(0, 400)),
            )
        )
    Referral.objects.bulk_create(rows, batch_size=2000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does on a live database after a bulk load
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - t0
    org = orgs[0]
    user = User.objects.create_user("bench@x.test", "a-long-bench-password", organisation=org, role=Role.CASE_WORKER)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user, backend="amparo.accounts.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    received = Referral.objects.filter(receiver=org).count()
    waiting_count = Referral.objects.filter(receiver=org, status="sent").count()

    def page() -> None:
        response = client.get("/referrals/")
        assert response.status_code == 200, response.status_code

    def api() -> None:
        response = client.get("/api/v1/referrals/")
        assert response.status_code == 200, response.status_code

    def floor() -> None:
        list(
            Referral.objects.filter(receiver_id=org.pk, status="sent")
            .order_by("due_at", "id")
            .values_list("id", "sender_id", "service_id", "status", "sent_at", "due_at")[:25]
        )

    def figures() -> None:
        response = client.get("/referrals/figures/?period=365")
        assert response.status_code == 200, response.status_code

    sent_count = Referral.objects.filter(sender=org).count()

    def export() -> None:
        response = client.get("/referrals/sent.csv")
        assert response.status_code == 200, response.status_code

    results = [
        ('page "Waiting for us" (GET /referrals/)', measure(page, queries)),
        ("figures page, 365 days", measure(figures, max(queries // 4, 5))),
        (f"CSV export of {sent_count:,} sent referrals", measure(export, max(queries // 10, 5))),
        ("API GET /api/v1/referrals/", measure(api, queries)),
        ("floor: indexed SELECT of the page", measure(floor, queries)),
    ]
    print(
        f"\n{connection.vendor}, {size:,} referrals in {orgs_count} organisations (created in {seconds:.0f} s); "
        f"{received} received by the user's organisation, {waiting_count} waiting; {queries} requests each"
    )
    print(f"{'what':42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  p95 < 150 ms")
    for label, figures in results:
        ok = "yes" if figures["p95"] < 150 else "NO"
        print(f"{label:42} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}  {ok}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.size, args.orgs, args.queries, args.child)
        return
    print(f"referral inbox benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as var_dir:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            from case_search import reset_postgres

            reset_postgres(os.environ["DATABASE_URL"])
        cmd = [sys.executable, __file__, "--child", var_dir, "--size", str(args.size), "--orgs", str(args.orgs)]
        subprocess.run([*cmd, "--queries", str(args.queries)], check=True)


if __name__ == "__main__":
    main()
