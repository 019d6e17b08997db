"""What deploy/ gives an administrator, read as the tools would read it (Docker and systemd
cannot run here; `make prod-smoke` starts the same commands for real), and the Makefile's
check for the system packages the tests need."""

from __future__ import annotations

import configparser
import os
import re
import runpy
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


# --- compose.yaml and the image --------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_runs_web_worker_beat_postgres_and_redis_with_the_right_commands(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "db", "redis", "migrate"} <= set(services)
    assert services["web"]["command"] == ["gunicorn", "-c", "deploy/gunicorn.conf.py", "amparo.wsgi"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "amparo", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "amparo", "beat"]
    assert services["migrate"]["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert services["db"]["image"] == "postgres:15" and services["redis"]["image"] == "redis:7"
    assert services["redis"]["command"] == ["redis-server", "--save", "", "--appendonly", "no"]
    # The web port is published on the host's loopback only: the proxy is the way in.
    assert services["web"]["ports"] == ["127.0.0.1:8000:8000"]
    for name in ("web", "worker", "beat"):
        assert services[name]["build"]["dockerfile"] == "deploy/Containerfile"
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_compose_mounts_the_key_file_read_only_from_the_host(compose):
    for name in ("web", "worker", "beat", "migrate"):
        service = compose["services"][name]
        keys = [v for v in service["volumes"] if isinstance(v, dict) and v["target"] == "/run/amparo/keys.json"]
        assert len(keys) == 1 and keys[0]["type"] == "bind" and keys[0]["read_only"] is True
        assert keys[0]["source"].startswith("${AMPARO_KEY_FILE_ON_HOST:?")
        assert service["environment"]["AMPARO_KEY_FILE"] == "/run/amparo/keys.json"
        assert service["env_file"] == "amparo.env"
        assert service["read_only"] is True and "no-new-privileges:true" in service["security_opt"]
    example = (DEPLOY / "amparo.env.example").read_text()
    assert "AMPARO_ENV=production" in example and "AMPARO_KEY_FILE_ON_HOST=" in example
    assert "deploy/amparo.env" in (ROOT / ".gitignore").read_text()


def test_the_image_is_slim_runs_as_a_user_collects_static_files_and_holds_no_key():
    text = (DEPLOY / "Containerfile").read_text()
    instructions = [line for line in text.splitlines() if line and not line.startswith((" ", "#"))]
    assert instructions[0] == "FROM python:3.11-slim"
    users = [line for line in instructions if line.startswith("USER ")]
    assert users and users[-1] != "USER root" and users[-1] == "USER amparo"
    last_run = max(i for i, line in enumerate(instructions) if line.startswith("RUN "))
    assert instructions.index(users[-1]) > last_run  # nothing runs as root after the switch
    assert "collectstatic --noinput" in text and "compile_catalogues" in text
    copies = " ".join(line for line in instructions if line.startswith("COPY "))
    assert "var" not in copies.split() and "keys" not in copies and "COPY . " not in copies
    assert "AMPARO_KEY_FILE=/run/amparo/keys.json" in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"var", ".venv", "**/keys*.json", ".git"} <= set(ignored)


# --- systemd -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("amparo-web.service", "/srv/amparo/app/.venv/bin/gunicorn -c deploy/gunicorn.conf.py amparo.wsgi"),
        ("amparo-worker.service", "/srv/amparo/app/.venv/bin/celery -A amparo worker"),
        ("amparo-beat.service", "/srv/amparo/app/.venv/bin/celery -A amparo beat"),
    ],
)
def test_systemd_units_run_the_right_command_as_a_user_and_hardened(unit, command):
    parser = configparser.ConfigParser(strict=True, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / "systemd" / unit).read_text())
    service = parser["Service"]
    assert service["ExecStart"].startswith(command)
    assert service["User"] == "amparo" and service["Group"] == "amparo"
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["PrivateTmp"] == "true"
    assert service["ReadWritePaths"] == "/srv/amparo/var"
    assert service["EnvironmentFile"] == "/etc/amparo/env"
    assert parser["Install"]["WantedBy"] == "multi-user.target"


# --- gunicorn and the proxy --------------------------------------------------------------------


def test_gunicorn_writes_no_access_log_by_default_and_no_address_agent_time_or_path_in_one():
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    if not os.environ.get("AMPARO_ACCESS_LOG"):
        assert conf["accesslog"] is None
    atoms = set(re.findall(r"%\((\w+)\)s", conf["access_log_format"]))
    assert atoms and atoms <= {"m", "s", "b", "M", "B", "D", "L", "T"}, atoms
    assert conf["loglevel"] == "info" and conf["timeout"] > 20  # above the PDF child's 20 s


def test_the_proxy_examples_set_the_forwarded_proto_and_log_no_address_or_query():
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx
    assert 'proxy_set_header X-Forwarded-For "";' in nginx
    code = "\n".join(line.split("#", 1)[0] for line in nginx.splitlines())
    for variable in (
        "$remote_addr",
        "$http_x_forwarded_for",
        "$http_user_agent",
        "$request ",
        "$args",
        "$uri",
        "$time",
    ):
        assert variable not in code, variable
    for location in ("location /report/", "location /api/v1/report/"):
        block = code.split(location, 1)[1].split("}", 1)[0]
        assert "access_log off;" in block
    assert re.search(r"location = /metrics \{\s*return 404;", code)
    caddy = (DEPLOY / "Caddyfile").read_text()
    caddy_code = "\n".join(line.split("#", 1)[0] for line in caddy.splitlines())
    assert "header_up X-Forwarded-Proto {scheme}" in caddy_code and "header_up -X-Forwarded-For" in caddy_code
    assert not re.search(r"^\s*log\b", caddy_code, re.MULTILINE)  # Caddy logs no access without it


def test_production_trusts_the_proxys_header_only_when_told():
    source = (ROOT / "amparo" / "settings.py").read_text()
    assert 'SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")' in source
    assert 'if env_bool("AMPARO_BEHIND_PROXY", False):' in source


# --- The Makefile's system packages -------------------------------------------------------------


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_make_test_stops_and_names_the_command_when_chromium_is_missing_and_cannot_be_installed(tmp_path):
    done = make("test", f"CHROMIUM={tmp_path}/no-chromium", f"APT_GET={tmp_path}/no-apt-get", "PYTEST_ARGS=--co -q")
    assert done.returncode != 0
    assert "sudo apt-get install -y chromium" in done.stderr
    assert f"Chromium at {tmp_path}/no-chromium runs the browser tests" in done.stderr
    assert "pytest" not in done.stdout  # the suite did not start without its browser


def test_make_installs_chromium_with_apt_get_when_it_may(tmp_path):
    if os.getuid() != 0:
        pytest.skip("the install path runs only as root")
    chromium = tmp_path / "bin" / "chromium"
    calls = tmp_path / "apt-calls"
    fake_apt = tmp_path / "apt-get"
    fake_apt.write_text(
        f'#!/bin/sh\necho "$@" >> {calls}\n'
        f'if [ "$1" = install ]; then mkdir -p {chromium.parent} && printf "#!/bin/sh\\n" > {chromium} && chmod +x {chromium}; fi\n'
    )
    fake_apt.chmod(0o755)
    done = make("system-deps", f"CHROMIUM={chromium}", f"APT_GET={fake_apt}")
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == ["update -qq", "install -y -qq chromium"]
    assert "Installing Debian packages the tests need: chromium" in done.stdout
    assert make("system-deps", f"CHROMIUM={chromium}", f"APT_GET={tmp_path}/none").returncode == 0  # present now


def test_ci_runs_the_production_smoke_after_the_postgresql_tests():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.index('DATABASE_URL="$PG_URL" make test') < ci.index("make prod-smoke")
    assert "prod-smoke:" in (ROOT / "Makefile").read_text()
