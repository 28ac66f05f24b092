"""The case service's HTTP API under ``/api/v1`` (CONTRACT.md): cases, status, media, appointments."""

from __future__ import annotations

from aiohttp import web

from backoffice import inputs, media
from backoffice.cases import CaseService, Denied
from backoffice.http_util import error, guarded, json_body, read_limited
from backoffice.inputs import Invalid

DENIED_STATUS = {Denied.NOT_FOUND: 404, Denied.MISTYPED: 422, Denied.LIMITED: 429}


def denied(reason: Denied) -> web.Response:
    return error(DENIED_STATUS[reason], reason.value)


def _conversation(request: web.Request) -> str:
    return inputs.ident(dict(request.query), "conversation_id")


def _pin(raw: object) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) != 6:
        raise Invalid("pin must be 6 digits")
    return raw


class CaseHandlers:
    def __init__(self, service: CaseService) -> None:
        self.service = service

    async def create(self, request: web.Request) -> web.Response:
        new = inputs.new_case(await json_body(request))
        created = await self.service.create(new)
        return web.json_response(created.as_json(), status=200 if created.replayed else 201)

    async def status(self, request: web.Request) -> web.Response:
        conversation = _conversation(request)
        pin = _pin(request.query.get("pin"))
        result = await self.service.lookup(request.match_info["reference"], conversation, pin)
        return denied(result) if isinstance(result, Denied) else web.json_response(result)

    async def upload(self, request: web.Request) -> web.Response:
        data = await read_limited(request, media.MAX_BYTES)
        if data is None:
            return error(413, "image larger than 5 MB")
        content_type = media.sniff(data)
        if content_type is None:
            return error(415, "only JPEG, PNG or WebP images")
        now = self.service.clock()
        attachment_id = await self.service.db.run(lambda s: media.store(s, data, content_type, now))
        return web.json_response({"id": attachment_id}, status=201)


def routes(service: CaseService, token: str | None) -> list[web.RouteDef]:
    h = CaseHandlers(service)
    return [
        web.post("/api/v1/cases", guarded(token, h.create)),
        web.get("/api/v1/cases/{reference}", guarded(token, h.status)),
        web.post("/api/v1/media", guarded(token, h.upload)),
    ]
