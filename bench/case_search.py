"""Case list and search at scale: server time of the real views over N generated cases.

    .venv/bin/python bench/case_search.py                      # SQLite, 10k and 100k cases
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/amparo_bench \\
        .venv/bin/python bench/case_search.py --sizes 10000,100000,1000000

Each size gets a fresh database (SQLite file in a temp dir, or the PostgreSQL database named
in DATABASE_URL, dropped and created). Cases are generated with realistic-looking fictional
names (Spanish and English), phones, documents and dates of birth, encrypted by the vault
like any other case, with their blind indexes and phonetic name keys, in two organisations.

Measured through Django's test client against the real views (routing, middleware, scoping,
audit entry, decryption, template), so "server time" is everything but the network:
  - first page of the case list;
  - search by reference, by phone (blind index), by name (phonetic keys).
The floor, in the same run, is the bare ORM query for the first page (50 rows, no
decryption, no template): what the database alone costs.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GIVEN = "María José Ana Lucía Carmen Rosa Sofía Valentina Camila Daniela Fernanda Juan Luis Carlos Jorge Miguel Pedro Andrés Diego Mateo Santiago Grace Mary Linda Sarah Emily John James Michael David Daniel Amina Fatima Aisha Nguyen Thi Lan".split()
FAMILY = "García Rodríguez Martínez Hernández López González Pérez Sánchez Ramírez Torres Flores Rivera Gómez Díaz Cruz Morales Reyes Gutiérrez Ortiz Chávez Ruiz Vargas Castillo Jiménez Moreno Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Okafor Mensah Tran Pham".split()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of cases")
    parser.add_argument("--queries", type=int, default=200, help="requests per measurement")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def setup_django(var_dir: str) -> None:
    os.environ["AMPARO_VAR_DIR"] = var_dir
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amparo.settings")
    import django

    django.setup()


def weighted(items: list[str], rng: random.Random) -> str:
    # Zipf-like: a few names are very common, as in real registers.
    return items[min(int(rng.paretovariate(1.2)) - 1, len(items) - 1)]


def generate(n: int, seed: int = 7) -> dict[str, object]:
    """Create two organisations, a case worker in the first, and n cases split 90/10."""
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.accounts.models import Organisation, User
    from amparo.cases.models import Case, NameKey
    from amparo.cases.phonetic import name_keys, search_keys
    from amparo.core.fields import index_for

    rng = random.Random(seed)
    org_a = Organisation.objects.create(name="Bench A", org_type="ngo", country="MEX")
    org_b = Organisation.objects.create(name="Bench B", org_type="ngo", country="COL")
    worker = User.objects.create_user(
        "bench@a.test", "bench-password-2026", full_name="Bench", organisation=org_a, role="case_worker"
    )
    TOTPDevice.objects.create(user=worker, name="bench", confirmed=True)
    key_cache: dict[str, str] = {}
    sample: dict[str, object] = {}
    batch = 5000
    started = time.perf_counter()
    for start in range(0, n, batch):
        cases = []
        names_of: list[list[str]] = []
        for i in range(start, min(n, start + batch)):
            given, family = weighted(GIVEN, rng), f"{weighted(FAMILY, rng)} {weighted(FAMILY, rng)}"
            phone = f"+52 55 {rng.randrange(10**7, 10**8)}"
            document = f"{rng.randrange(10**9, 10**10)}"
            birth = f"{rng.randrange(1960, 2012)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            case = Case(
                organisation=org_a if i % 10 else org_b,
                person_name=f"{given} {family}",
                given_name=given,
                family_name=family,
                phone=phone,
                phone_index=index_for(Case, "phone", phone),
                document_number=document,
                document_index=index_for(Case, "document_number", document),
                birth_date=birth,
                birth_date_index=index_for(Case, "birth_date", birth),
                created_by=worker,
            )
            cases.append(case)
            names_of.append([case.person_name])
            if i == n // 2 + 1:  # organisation A (every tenth case is B's)
                sample = {"phone": phone, "name": f"{given} {family}"}
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            keys = []
            for case, names in zip(cases, names_of, strict=True):
                for key in search_keys({k for name in names for k in name_keys(name)}):
                    if key not in key_cache:
                        key_cache[key] = index_for(NameKey, "key", key)
                    keys.append(NameKey(case=case, key_index=key_cache[key]))
            NameKey.objects.bulk_create(keys)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    sample["reference"] = Case.objects.filter(organisation=org_a).order_by("?").values_list("reference", flat=True)[0]
    sample["worker"] = worker
    sample["seconds"] = time.perf_counter() - started
    return sample


def measure(fn, count: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    times = []
    fn()  # warm
    for _ in range(count):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "max": times[-1]}


def child(size: int, queries: int, var_dir: str) -> None:
    setup_django(var_dir)
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amparo.cases.models import Case

    setup_test_environment()
    call_command("migrate", verbosity=0)
    sample = generate(size)
    worker = sample["worker"]
    client = Client()
    client.force_login(worker, backend="amparo.accounts.backends.StaffBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=worker).persistent_id
    session.save()

    def get(params: dict[str, str]):  # type: ignore[no-untyped-def]
        def call() -> None:
            response = client.get("/cases/", params)
            assert response.status_code == 200, response.status_code
            if "q" in params or "name" in params:
                assert b'href="/cases/C-' in response.content, f"no result for {params}"

        return call

    def floor() -> None:
        list(
            Case.objects.filter(organisation_id=worker.organisation_id)
            .order_by("-created_at", "-id")
            .values_list("reference", "phone")[:50]
        )

    from django.db import connection

    rows = [
        ("floor: first page, bare ORM", measure(floor, queries)),
        ("case list, first page", measure(get({}), queries)),
        ("search by reference", measure(get({"q": sample["reference"]}), queries)),
        ("search by phone (blind index)", measure(get({"q": sample["phone"]}), queries)),
        ("search by name (phonetic)", measure(get({"name": sample["name"]}), queries)),
    ]
    print(f"\n{connection.vendor}, {size:,} cases (generated in {sample['seconds']:.0f} s), {queries} requests each")
    print(f"{'what':34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  p95 < 150 ms")
    for label, figures in rows:
        ok = "" if label.startswith("floor") else ("yes" if figures["p95"] < 150 else "NO")
        print(f"{label:34} {figures['p50']:8.1f} {figures['p95']:8.1f} {figures['max']:8.1f}  {ok}")
    sys.stdout.flush()


def reset_postgres(url: str) -> None:
    from urllib.parse import urlparse

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = [
        "psql",
        "-h",
        parsed.hostname or "127.0.0.1",
        "-p",
        str(parsed.port or 5432),
        "-U",
        parsed.username or "postgres",
        "-d",
        "postgres",
        "-qc",
    ]
    subprocess.run([*admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    subprocess.run([*admin, f'CREATE DATABASE "{name}"'], check=True)


def main() -> None:
    args = parse()
    if args.child:
        size, var_dir = args.child.split(":", 1)
        child(int(size), args.queries, var_dir)
        return
    print(f"case search benchmark — {time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores")
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as var_dir:
            if os.environ.get("DATABASE_URL", "").startswith("postgres"):
                reset_postgres(os.environ["DATABASE_URL"])
            subprocess.run(
                [sys.executable, __file__, "--child", f"{size}:{var_dir}", "--queries", str(args.queries)], check=True
            )


if __name__ == "__main__":
    main()
