"""Action server bound to loopback.

rasa-sdk's own CLI always binds 0.0.0.0; the action server must never listen
on a public interface, so we start its Sanic app ourselves.
Usage: python -m actions.server [--host 127.0.0.1] [--port 5055]
"""

from __future__ import annotations

import argparse
import logging
import os

from rasa_sdk.endpoint import create_app

from channels import logmask  # standard library only: masks personal data in every log record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default=os.environ.get("ACTION_SERVER_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTION_SERVER_PORT", "5055")))
    args = parser.parse_args()
    logmask.configure(logging.WARNING)
    app = create_app("actions", cors_origins=None)
    # Sanic closes a connection that sends no request within 5 s; an overloaded
    # Rasa can stall that long between connecting and writing, and the action's
    # events are then lost (measured by make bench-gateway).
    app.config.KEEP_ALIVE_TIMEOUT = 75
    # Load the content once before serving, so the first citizen does not wait.
    from actions import content, language

    content.catalogue()
    content.towns()
    language.detect("Guten Tag, ich habe eine Frage zum Personalausweis.")
    app.run(host=args.host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
