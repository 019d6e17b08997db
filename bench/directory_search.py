"""Service directory search at scale: 10,000 published services, search by type + distance.

    .venv/bin/python bench/directory_search.py                  # SQLite (fresh file in a temp dir)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo_bench_dir \\
        .venv/bin/python bench/directory_search.py               # PostgreSQL (database dropped and created)

Services are spread over Mexico, Colombia, Spain and the United Kingdom (10% confidential,
searched by their coarse point), in 20 organisations, of the 11 global types. Measured:
  - the service `directory_search` (bounding box in SQL, haversine in Python), type + 50 km;
  - the same through the API (routing, middleware, serializer): GET /api/v1/directory/services/.
Target: p95 < 50 ms for the search.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CENTRES = [(19.43, -99.13, "MEX"), (4.61, -74.08, "COL"), (40.42, -3.70, "ESP"), (51.45, -2.58, "GBR")]


def measure(fn, count: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    fn()
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1]}


def child(size: int, queries: int, var_dir: str) -> None:
    os.environ["AMPARO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Organisation, OrganisationType, User
    from amparo.core.permissions import Role
    from amparo.referrals import services
    from amparo.referrals.models import Service, ServiceType

    setup_test_environment()
    call_command("migrate", verbosity=0)
    services.load_global_types()
    rng = random.Random(9)
    t0 = time.perf_counter()
    orgs = [
        Organisation.objects.create(name=f"Bench org {i}", org_type=OrganisationType.NGO, country="MEX")
        for i in range(20)
    ]
    types = list(ServiceType.objects.filter(organisation=None))
    rows = []
    for i in range(size):
        lat, lon, country = rng.choice(CENTRES)
        service = Service(
            organisation=rng.choice(orgs),
            name=f"Service {i}",
            service_type=rng.choice(types),
            countries=f",{country},",
            languages=",SPA,ENG,",
            intake_contact="+00 000",
            latitude=Decimal(f"{lat + rng.uniform(-3, 3):.5f}"),
            longitude=Decimal(f"{lon + rng.uniform(-3, 3):.5f}"),
            confidential_location=rng.random() < 0.1,
        )
        service.search_latitude, service.search_longitude = service.search_point()
        rows.append(service)
    Service.objects.bulk_create(rows, batch_size=1000)
    seconds = time.perf_counter() - t0
    user = User.objects.create_user(
        "bench@x.test", "a-long-bench-password", organisation=orgs[0], role=Role.CASE_WORKER
    )
    device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    user.is_verified = lambda: True  # type: ignore[method-assign]
    client = Client()
    client.force_login(user, backend="amparo.accounts.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    found = []

    def search() -> None:
        found.append(
            len(services.directory_search(actor=user, service_type="shelter", near=(19.43, -99.13), radius_km=50))
        )

    def api() -> None:
        response = client.get(
            "/api/v1/directory/services/", {"service_type": "shelter", "near": "19.43, -99.13", "radius_km": "50"}
        )
        assert response.status_code == 200, response.status_code

    from django.db import connection

    results = [
        ("search: type + 50 km (service)", measure(search, queries)),
        ("search: type + 50 km (API)", measure(api, queries)),
    ]
    print(
        f"\n{connection.vendor}, {size:,} services (created in {seconds:.0f} s), {queries} requests each, ~{found[-1]} hits"
    )
    print(f"{'what':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  p95 < 50 ms")
    for label, figures in results:
        ok = "yes" if figures["p95"] < 50 else "NO"
        print(f"{label:34} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}  {ok}")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.size, args.queries, args.child)
        return
    print(f"directory search benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as var_dir:
        if os.environ.get("DATABASE_URL", "").startswith("postgres"):
            from case_search import reset_postgres

            reset_postgres(os.environ["DATABASE_URL"])
        subprocess.run(
            [sys.executable, __file__, "--child", var_dir, "--size", str(args.size), "--queries", str(args.queries)],
            check=True,
        )


if __name__ == "__main__":
    main()
