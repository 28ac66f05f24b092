"""``python -m backoffice.console.users create|passwd|list``: console accounts from the shell.

The way to create the first admin. Passwords are read with ``getpass``
(or from stdin when it is not a terminal, for scripts), never from the
command line, where they would end up in the shell history and ``ps``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from backoffice import db
from backoffice.console import queries
from backoffice.console.security import hash_password
from backoffice.console.user_views import USERNAME


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Passwort (mindestens 12 Zeichen): ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise ValueError("Die Passwörter stimmen nicht überein")
    return first


def run(engine: Engine, argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m backoffice.console.users",
                                     description="Konten der Konsole verwalten.")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="Konto anlegen")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="Anzeigename")
    create.add_argument("--roles", default="staff", help="staff, editor, reviewer, admin (Komma getrennt)")
    passwd = commands.add_parser("passwd", help="Passwort setzen")
    passwd.add_argument("username")
    commands.add_parser("list", help="Konten auflisten")
    args = parser.parse_args(argv)
    database = db.Database(engine)
    try:
        if args.command == "list":
            for user in database.call(queries.list_users):
                state = "aktiv" if user.active else "gesperrt"
                print(f"{user.username}\t{user.display_name}\t{user.roles}\t{state}")
            return 0
        if not USERNAME.match(args.username):
            raise ValueError("Benutzername: a-z, 0-9, Punkt, Strich; 2-80 Zeichen")
        password_hash = hash_password(_read_password())
        now = datetime.now(UTC)
        if args.command == "create":
            roles = queries.parse_roles(args.roles)
            def create_account(s: Session) -> None:
                queries.create_user(s, args.username, args.name, password_hash, roles, now)
                queries.audit(s, "cli", "user_create", args.username, now)

            database.call(create_account)
            print(f"Konto {args.username} angelegt ({', '.join(roles)}).")
        else:
            def change(s: Session) -> bool:
                user = queries.get_user(s, args.username)
                if user is None:
                    return False
                user.password_hash = password_hash
                queries.audit(s, "cli", "user_passwd", args.username, now)
                return True

            if not database.call(change):
                raise ValueError(f"Das Konto {args.username} gibt es nicht")
            print(f"Passwort von {args.username} gesetzt.")
        return 0
    except ValueError as exc:  # QueryError too: messages for the operator, no traceback
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1


def main() -> int:
    from backoffice.migrate import upgrade
    from backoffice.settings import load

    engine = db.create(load().database_url)
    upgrade(engine)
    return run(engine, sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
