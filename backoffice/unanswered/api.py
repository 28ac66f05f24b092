"""``POST /api/v1/unanswered``: the action server reports a message the bot could not place.

Body ``{"text": str, "language": "de"|"en"|"tr"|..., "channel": str,
"intents": [{"name": str, "confidence": float}, ...]}`` -> 201 ``{"id": int}``.
The text is masked before it is stored (``store.record``); only the Berlin
day is kept, no conversation id. Nothing of the text is logged.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from backoffice import inputs
from backoffice.cases import CaseService
from backoffice.http_util import guarded, json_body
from backoffice.inputs import Invalid
from backoffice.timeutil import BERLIN
from backoffice.unanswered import store

_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
MAX_GUESSES = 5


def _guesses(raw: object) -> tuple[store.Guess, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_GUESSES:
        raise Invalid(f"intents must be a list of at most {MAX_GUESSES} objects")
    guesses = []
    for item in raw:
        name = item.get("name") if isinstance(item, dict) else None
        confidence = item.get("confidence") if isinstance(item, dict) else None
        if not isinstance(name, str) or not 0 < len(name) <= 100 or isinstance(confidence, bool) \
                or not isinstance(confidence, int | float) or not 0 <= confidence <= 1:
            raise Invalid("each intent needs a name and a confidence between 0 and 1")
        guesses.append(store.Guess(name, float(confidence)))
    return tuple(guesses)


def new_question(body: Any) -> store.NewQuestion:
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    language = body.get("language", "de")
    if not isinstance(language, str) or not _LANGUAGE.match(language):
        raise Invalid("language must be a language code such as de, en or tr")
    return store.NewQuestion(text=str(inputs.text(body, "text", store.MAX_TEXT)), language=language,
                             channel=inputs.choice(body, "channel", inputs.CHANNELS),
                             intents=_guesses(body.get("intents")))


def routes(service: CaseService, token: str | None) -> list[web.RouteDef]:
    async def create(request: web.Request) -> web.Response:
        new = new_question(await json_body(request))
        day = service.clock().astimezone(BERLIN).date()
        question_id = await service.db.run(lambda s: store.record(s, new, day))
        return web.json_response({"id": question_id}, status=201)

    return [web.post("/api/v1/unanswered", guarded(token, create))]
