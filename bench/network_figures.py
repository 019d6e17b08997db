"""Network-level referral figures at scale (decision 0035): 100,000 referrals across 100
organisations over the last year, the page an authority opens.

    .venv/bin/python bench/network_figures.py                    # SQLite (fresh file in a temp dir)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo_bench_net \\
        .venv/bin/python bench/network_figures.py                 # PostgreSQL (database dropped and created)

The same referrals as bench/referral_inbox.py. Measured, for an authority of one organisation:
  - the page (GET /referrals/network/: one grouped count over every organisation's
    referrals of the last 12 complete months, the accepted ones' two timestamps for the
    medians, suppression, two SVG charts), through the Django test client, and its weight;
  - the same page served from the cache (figures kept ten minutes per organisation);
  - the CSV (GET /referrals/network/csv/);
  - the floor: the grouped count alone (the ORM query the page starts from).
No target in the issue; the referral inbox's (p95 < 150 ms) is printed for comparison.
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
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Organisation, OrganisationType, User
    from amparo.core.permissions import Role
    from amparo.referrals import network, services
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
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # what autovacuum does on a live database after a bulk load
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - t0
    org = orgs[0]
    user = User.objects.create_user("bench@x.test", "a-long-bench-password", organisation=org, role=Role.AUTHORITY)
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client = Client()
    client.force_login(user, backend="amparo.accounts.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    start, end = network.window()
    counted = Referral.objects.filter(sent_at__gte=start, sent_at__lt=end).count()
    weight = len(client.get("/referrals/network/").content)

    from django.core.cache import cache

    def page() -> None:
        cache.clear()  # counted again: the first viewer after ten minutes
        response = client.get("/referrals/network/")
        assert response.status_code == 200, response.status_code

    def page_cached() -> None:
        response = client.get("/referrals/network/")
        assert response.status_code == 200, response.status_code

    def csv() -> None:
        cache.clear()
        response = client.get("/referrals/network/csv/")
        assert response.status_code == 200, response.status_code

    def floor() -> None:
        list(
            Referral.objects.filter(sent_at__gte=start, sent_at__lt=end)
            .order_by()
            .values("service_type_code", "status", "decline_reason")
            .annotate(n=Count("id"))
        )

    results = [
        ("network figures page, counted (GET /referrals/network/)", measure(page, queries)),
        ("network figures page, from the cache", measure(page_cached, queries)),
        ("network figures CSV, counted", measure(csv, queries)),
        ("floor: the grouped count alone", measure(floor, queries)),
    ]
    print(
        f"\n{connection.vendor}, {size:,} referrals in {orgs_count} organisations (created in {seconds:.0f} s); "
        f"{counted:,} in the 12 complete months; page {weight / 1024:.1f} KB; {queries} requests each"
    )
    print(f"{'what':56} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  p95 < 150 ms")
    for label, figures in results:
        ok = "yes" if figures["p95"] < 150 else "NO"
        print(f"{label:56} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}  {ok}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.size, args.orgs, args.queries, args.child)
        return
    print(f"network figures benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as var_dir:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            from case_search import reset_postgres

            reset_postgres(os.environ["DATABASE_URL"])
        cmd = [sys.executable, __file__, "--child", var_dir, "--size", str(args.size), "--orgs", str(args.orgs)]
        subprocess.run([*cmd, "--queries", str(args.queries)], check=True)


if __name__ == "__main__":
    main()
