"""Console sign-in: argon2 passwords, session cookie, CSRF on every POST, login throttling, roles, CLI."""

from __future__ import annotations

import io
import sys

from sqlalchemy import select

from backoffice import db
from backoffice.console import users as users_cli
from backoffice.models import AuditEntry, Case, CaseEvent, User
from tests.backoffice.console_support import CSRF, PASSWORD, add_case, add_user


async def test_login_sets_a_strict_http_only_session_cookie(start_console, browsers, engine, rdb,
                                                           prefix) -> None:
    add_user(engine, "anna", "staff", "Anna Schmidt")
    server = await start_console()
    browser = browsers(server.url)
    status, _ = await browser.get("/console/")
    assert status == 303  # not signed in
    await browser.get("/console/login")
    async with browser.session.post(server.url + "/console/login", allow_redirects=False,
                                    data={"csrf": browser.csrf, "username": "anna",
                                          "password": PASSWORD}) as reply:
        assert reply.status == 303 and reply.headers["Location"] == "/console/"
        cookie = next(v for v in reply.headers.getall("Set-Cookie") if v.startswith("konsole="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert len(session_id) >= 43  # 32 random bytes
    stored = [key async for key in rdb.scan_iter(f"{prefix}:console:session:*")]
    assert len(stored) == 1 and session_id not in stored[0]  # only a hash of the id is in Redis
    status, page = await browser.get("/console/")
    assert status == 200 and "Angemeldet als Anna Schmidt" in page and 'lang="de"' in page
    assert (await browser.post("/console/logout"))[0] == 303
    assert (await browser.get("/console/"))[0] == 303  # the session is gone


async def test_secure_cookies_when_served_over_https(start_console, http, engine) -> None:
    add_user(engine, "anna")
    server = await start_console(secure_cookies=True)
    async with http.get(server.url + "/console/login") as reply:
        login_cookie = reply.headers["Set-Cookie"]
        token = CSRF.search(await reply.text())[1]
    assert login_cookie.startswith("konsole_login=") and "Secure" in login_cookie
    # a browser sends Secure cookies over https only; here the test sends it by hand
    async with http.post(server.url + "/console/login", allow_redirects=False,
                         headers={"Cookie": f"konsole_login={token}"},
                         data={"csrf": token, "username": "anna", "password": PASSWORD}) as reply:
        assert reply.status == 303
        cookie = next(v for v in reply.headers.getall("Set-Cookie") if v.startswith("__Host-konsole="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie and "Domain" not in cookie


async def test_wrong_password_and_unknown_user_look_the_same(start_console, browsers, engine) -> None:
    add_user(engine, "anna")
    server = await start_console()
    browser = browsers(server.url)
    wrong = await browser.login("anna", "falsches-passwort-123")
    unknown = await browser.login("niemand", "falsches-passwort-123")
    assert wrong[0] == unknown[0] == 401
    assert "Benutzername oder Passwort ist nicht richtig." in wrong[1]


async def test_login_form_needs_its_csrf_cookie(start_console, browsers, engine) -> None:
    add_user(engine, "anna")
    server = await start_console()
    browser = browsers(server.url)
    await browser.get("/console/login")
    status, page, _ = await browser.post("/console/login", csrf="forged", username="anna", password=PASSWORD)
    assert status == 400 and "abgelaufen" in page
    assert (await browsers(server.url).post("/console/login", csrf="x", username="anna",
                                            password=PASSWORD))[0] == 400  # no cookie at all


async def test_five_failures_lock_the_username_even_for_the_right_password(start_console, browsers,
                                                                         engine) -> None:
    add_user(engine, "anna")
    server = await start_console()
    browser = browsers(server.url)
    for _ in range(5):
        assert (await browser.login("anna", "falsches-passwort-123"))[0] == 401
    status, page, _ = await browser.login("anna")
    assert status == 429 and "15 Minuten" in page
    assert (await browser.get("/console/"))[0] == 303


async def test_failures_across_usernames_lock_the_client(start_console, browsers, engine) -> None:
    add_user(engine, "ben")
    server = await start_console()
    browser = browsers(server.url)
    for n in range(5):
        assert (await browser.login(f"rate{n}", "falsches-passwort-123"))[0] == 401
    assert (await browser.login("ben"))[0] == 429


async def test_success_clears_the_username_count_but_not_the_clients(start_console, browsers, engine, rdb,
                                                                     prefix) -> None:
    add_user(engine, "anna")
    server = await start_console()
    browser = browsers(server.url)
    for _ in range(2):
        await browser.login("anna", "falsches-passwort-123")

    async def counts() -> dict[str, str]:
        keys = [key async for key in rdb.scan_iter(f"{prefix}:console:fail:*")]
        return {key.split(":")[3]: await rdb.get(key) for key in keys}

    assert await counts() == {"user": "2", "client": "2"}
    [user_key] = [k async for k in rdb.scan_iter(f"{prefix}:console:fail:user:*")]
    assert 0 < await rdb.ttl(user_key) <= 900
    assert (await browser.login("anna"))[0] == 303
    assert await counts() == {"client": "2"}  # one valid account must not reset password spraying


async def test_every_post_checks_csrf(start_console, browsers, engine, clock) -> None:
    add_user(engine, "anna")
    add_case(engine, "MK-2026-000001-0", "c" * 64, created=clock.now)
    server = await start_console()
    browser = browsers(server.url)
    await browser.login("anna")
    await browser.get("/console/cases/MK-2026-000001-0")
    for path, form in [("/console/cases/MK-2026-000001-0/status", {"status": "done", "note": "x"}),
                       ("/console/cases/MK-2026-000001-0/notes", {"note": "x"}),
                       ("/console/conversations/abc/take", {}), ("/console/logout", {})]:
        status, page, _ = await browser.post(path, csrf="wrong", **form)
        assert status == 400 and "Formular abgelaufen" in page, path
    database = db.Database(engine)
    assert database.call(lambda s: s.scalars(select(Case.status)).one()) == "received"
    assert database.call(lambda s: s.scalars(select(CaseEvent)).all()) == []
    assert (await browser.get("/console/"))[0] == 200  # still signed in


async def test_roles_separate_cases_and_accounts(start_console, browsers, engine, clock) -> None:
    add_user(engine, "anna", "staff")
    add_user(engine, "root", "admin", "Admin")
    add_user(engine, "eddi", "editor")
    add_case(engine, "MK-2026-000001-0", "c" * 64, created=clock.now)
    server = await start_console()
    staff, admin, editor = browsers(server.url), browsers(server.url), browsers(server.url)
    await staff.login("anna")
    await admin.login("root")
    await editor.login("eddi")
    assert (await staff.get("/console/users"))[0] == 403
    assert (await admin.get("/console/cases/MK-2026-000001-0"))[0] == 403
    assert (await editor.get("/console/cases/MK-2026-000001-0"))[0] == 403
    assert (await staff.get("/console/cases/MK-2026-000001-0"))[0] == 200
    status, page = await editor.get("/console/")
    assert status == 200 and "MK-2026-000001-0" not in page

    # the admin creates an account, which can then sign in; the audit log names no password
    await admin.get("/console/users")
    status, _, where = await admin.post("/console/users", username="carla", display_name="Carla Weber",
                                        roles="staff", password="noch-ein-passwort-2")
    assert status == 303 and where == "/console/users?msg=created"
    assert (await admin.post("/console/users", username="carla", display_name="C", roles="staff",
                             password="noch-ein-passwort-2"))[0] == 409
    assert (await admin.post("/console/users", username="kurz", display_name="K", roles="staff",
                             password="kurz"))[0] == 400
    assert (await browsers(server.url).login("carla", "noch-ein-passwort-2"))[0] == 303
    # locking an account ends its access at the next request
    assert (await admin.post("/console/users/anna/active", active="0"))[0] == 303
    assert (await staff.get("/console/"))[0] == 303
    database = db.Database(engine)
    entries = database.call(lambda s: [(a.username, a.action, a.detail) for a in s.scalars(
        select(AuditEntry).where(AuditEntry.action.like("user_%")))])
    assert entries == [("root", "user_create", "carla (staff)"), ("root", "user_active", "anna=0")]


def test_cli_creates_the_first_admin(engine, monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert users_cli.run(engine, ["create", "chefin", "--name", "Die Chefin", "--roles", "admin,staff"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("zu-kurz\n"))
    assert users_cli.run(engine, ["passwd", "chefin"]) == 1
    assert "mindestens 12 Zeichen" in capsys.readouterr().err
    monkeypatch.setattr(sys, "stdin", io.StringIO("ein-neues-passwort-3\n"))
    assert users_cli.run(engine, ["passwd", "chefin"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{PASSWORD}\n"))
    assert users_cli.run(engine, ["create", "chefin", "--name", "Doppelt"]) == 1
    assert users_cli.run(engine, ["list"]) == 0
    assert "chefin\tDie Chefin\tadmin,staff\taktiv" in capsys.readouterr().out
    database = db.Database(engine)
    stored = database.call(lambda s: s.scalars(select(User)).one().password_hash)
    assert stored.startswith("$argon2id$") and "ein-neues-passwort-3" not in stored
