"""Container health check without curl in the image: exit 0 when HEALTHCHECK_URL answers below 500.

Why a script: the slim base images have no curl or wget, and installing one only
for this would add packages to keep patched. Usage: ``python healthcheck.py [URL]``.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("HEALTHCHECK_URL", "")
    if not url.startswith(("http://127.0.0.1", "http://localhost")):
        print("HEALTHCHECK_URL must be a loopback http:// URL", file=sys.stderr)
        return 2
    try:
        with urllib.request.urlopen(url, timeout=4) as reply:
            return 0 if reply.status < 500 else 1
    except urllib.error.HTTPError as exc:
        return 0 if exc.code < 500 else 1
    except (urllib.error.URLError, OSError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
