"""gunicorn's settings for casework (``gunicorn --config deploy/gunicorn.conf.py casework.wsgi``).

Listens on the loopback only: the TLS-terminating proxy (deploy/Caddyfile) is the one way
in. No access log: a line per request would keep every visitor's address and every URL
asked, and the audit trail already records what matters, without raw addresses.
"""

import multiprocessing
import os

bind = os.environ.get("CASEWORK_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("CASEWORK_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
# A request that takes longer than this is stopped (its transaction rolls back with it).
timeout = 30
graceful_timeout = 20
# Trust X-Forwarded-* only from the proxy on this machine.
forwarded_allow_ips = "127.0.0.1"
accesslog = None
errorlog = "-"
loglevel = "warning"
# Long URLs and header floods are refused before Django sees them.
limit_request_line = 4094
limit_request_fields = 60
