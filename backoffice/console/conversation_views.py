"""Live conversations: transcript, take (atomic), reply, hand back to the bot.

Taking is one Lua step in the gateway's Redis (``channels.handoff``): of
two staff members pressing "übernehmen" at once exactly one gets the
conversation, the other sees who has it. Replies are logged in the
transcript and sent through the notify route; the form's one-time key
makes a double submit send once. Only the holder replies or hands back.
Audit entries name the pseudonymous conversation id, never what was said.
"""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from backoffice.console import pages, queries
from backoffice.console.citizen_texts import ENDED_BY_STAFF, TAKEN, pick
from backoffice.console.context import Console, Stop, html, redirect
from backoffice.models import User
from channels.handoff import Handoff, State

_CONVERSATION = re.compile(r"^[A-Za-z0-9_.:@\-]{1,100}$")
_KEY = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
REPLY_DEDUPE_S = 24 * 3600


def routes(console: Console) -> list[web.RouteDef]:
    def conversation_id(request: web.Request) -> str:
        conversation = request.match_info["conversation"]
        if not _CONVERSATION.match(conversation):
            raise Stop(html(pages.page("Nicht gefunden", "<p>Dieses Gespräch gibt es nicht.</p>"), 404))
        return conversation

    async def render(user: User, csrf: str, conversation: str, *, error: str | None = None,
                     notice: str | None = None, status: int = 200) -> web.Response:
        item = await console.handoffs.get(conversation)
        lines = await console.handoffs.transcript(conversation)
        if item is None and not lines:
            return html(pages.page("Nicht gefunden", "<p>Dieses Gespräch gibt es nicht (mehr).</p>", user,
                                   csrf), 404)
        staff = {line.staff for line in lines if line.staff}
        if item and item.staff:
            staff.add(item.staff)
        names = await console.db(lambda s: queries.display_names(s, staff))
        body = pages.conversation(item, lines, names, user.username, csrf, secrets.token_urlsafe(16),
                                  console.handoff_labels())
        return html(pages.page(f"Gespräch {conversation[:8]}", body, user, csrf, error=error, notice=notice),
                    status)

    async def show(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        from backoffice.console.case_views import notice

        return await render(user, session.csrf, conversation_id(request), notice=notice(request))

    async def take(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        conversation = conversation_id(request)
        taken = await console.handoffs.take(conversation, user.username, console.clock())
        if not taken.ok:
            if taken.holder is None:
                error = "Dieses Gespräch ist beendet oder wartet nicht mehr."
            else:
                holder = taken.holder
                names = await console.db(lambda s: queries.display_names(s, {holder}))
                error = f"Dieses Gespräch wurde bereits übernommen von {names.get(holder, holder)}."
            return await render(user, session.csrf, conversation, error=error, status=409)
        item = await console.handoffs.get(conversation)
        await console.audit(user.username, "handoff_take", conversation)
        await console.handoffs.log(conversation, "system", f"Übernommen von {user.display_name}")
        language = item.language if item else "de"
        since = item.since.isoformat() if item else ""
        await console.notify.send(conversation, f"handoff-taken:{conversation}:{since}",
                                  [{"text": pick(TAKEN, language)}])
        return redirect(f"/console/conversations/{conversation}?msg=taken")

    async def held_by_me(request: web.Request, user: User, csrf: str, conversation: str) -> Handoff:
        item = await console.handoffs.get(conversation)
        if item is None or item.state is not State.HELD or item.staff != user.username:
            raise Stop(await render(user, csrf, conversation, status=409,
                                    error="Sie haben dieses Gespräch nicht (mehr) übernommen."))
        return item

    async def reply(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        conversation = conversation_id(request)
        form = await request.post()
        text, key = str(form.get("text", "")).strip(), str(form.get("key", ""))
        await held_by_me(request, user, session.csrf, conversation)
        if not text or len(text) > 2000 or not _KEY.match(key):
            return await render(user, session.csrf, conversation, status=400,
                                error="Bitte schreiben Sie eine Antwort mit höchstens 2000 Zeichen.")
        marker = f"{console.config.redis_prefix}:console:reply:{key}"
        if await console.redis.set(marker, "1", nx=True, ex=REPLY_DEDUPE_S):  # a double submit sends once
            await console.handoffs.log(conversation, "staff", text, staff=user.username)
            sent = await console.notify.send(conversation, f"staff-reply:{conversation}:{key}",
                                             [{"text": text}])
            await console.audit(user.username, "handoff_reply", conversation)
            if sent != 202:
                return await render(user, session.csrf, conversation, status=502,
                                    error="Die Antwort konnte nicht zugestellt werden (der Kanal der "
                                          "Bürgerin oder des Bürgers ist nicht erreichbar).")
        return redirect(f"/console/conversations/{conversation}?msg=reply_sent")

    async def release(request: web.Request) -> web.StreamResponse:
        user, session = await console.require(request)
        conversation = conversation_id(request)
        item = await held_by_me(request, user, session.csrf, conversation)
        await console.handoffs.release(conversation)
        await console.audit(user.username, "handoff_release", conversation)
        await console.notify.send(conversation, f"handoff-released:{conversation}:{item.since.isoformat()}",
                                  [{"text": pick(ENDED_BY_STAFF, item.language)}])
        return redirect("/console/?msg=released")

    base = "/console/conversations/{conversation}"
    return [web.get(base, show), web.post(f"{base}/take", take), web.post(f"{base}/reply", reply),
            web.post(f"{base}/release", release)]
