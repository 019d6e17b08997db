"""gunicorn settings for Amparo: `gunicorn -c deploy/gunicorn.conf.py amparo.wsgi`.

No access log unless AMPARO_ACCESS_LOG names a file, and then only the method, status, size
and duration: no client address (%(h)s), user agent (%(a)s), referrer (%(f)s), time (%(t)s),
query string, nor even the path, which can carry a case reference, a signal reference or
whatever a visitor typed (tests/test_log_hygiene.py). Requests by route name are counted in
/metrics instead. Reporters must not be traceable through any log (docs/deployment.md, section 5).
"""

import os

bind = os.environ.get("AMPARO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
# PDF attachments are re-drawn in a child process killed after 20 s (decision 0015).
timeout = int(os.environ.get("AMPARO_WEB_TIMEOUT", "30"))
graceful_timeout = 30
# A worker is replaced after this many requests (bounded memory growth), staggered.
max_requests = 2000
max_requests_jitter = 200

accesslog = os.environ.get("AMPARO_ACCESS_LOG") or None
access_log_format = "%(m)s %(s)s %(b)s %(M)s"
errorlog = "-"
# "debug" would log "Invalid request from ip=…": never below "info" in production.
loglevel = "info"
# Only the proxy on this machine may say the request came over HTTPS.
forwarded_allow_ips = os.environ.get("AMPARO_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proxy_allow_ips = "127.0.0.1,::1"


def on_starting(server):  # noqa: ARG001 (gunicorn's hook signature)
    """Prometheus counters of several workers add up through files in this directory
    (amparo.core.ops); files of a previous run would count twice."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):  # noqa: ARG001
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
