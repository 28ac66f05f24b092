"""The one place that talks to Twilio's Messages API, and where its errors are translated.

twilio 9's ``AsyncTwilioHttpClient`` opens an aiohttp ``ClientSession`` in
its constructor, which needs a running event loop, so the client is
created on first use (adapters are created before the loop runs) and its
session is closed in :meth:`TwilioMessages.close`. ``client.api.base_url``
follows TWILIO_API_BASE, so messages are created at
``{TWILIO_API_BASE}/2010-04-01/Accounts/<sid>/Messages.json`` (a local fake in
tests). The library's request logger would log at INFO; it gets a logger of
its own at WARNING so nothing about a message reaches the logs.

Error translation (``DeliveryError.retryable``): network errors, timeouts,
429 and 5xx can succeed later; other 4xx cannot (invalid number, ...);
21610 - the recipient unsubscribed at Twilio - is :class:`RecipientUnsubscribed`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from channels.errors import DeliveryError
from channels.settings import Settings

UNSUBSCRIBED = 21610
TIMEOUT_S = 15.0

_quiet = logging.getLogger("channels.adapters.twilio.http")
_quiet.setLevel(logging.WARNING)


class _HttpClient(AsyncTwilioHttpClient):
    """twilio's async client, sending Basic auth as a header: aiohttp 3.14 deprecates its
    ``auth=`` parameter (removed in aiohttp 4), which twilio 9.13 still passes."""

    async def request(self, method: str, url: str, params: dict[str, object] | None = None,
                      data: dict[str, object] | None = None, headers: dict[str, str] | None = None,
                      auth: tuple[str, str] | None = None, timeout: float | None = None,
                      allow_redirects: bool = False) -> Response:
        if auth is not None:
            headers = {**(headers or {}), "Authorization": aiohttp.encode_basic_auth(*auth)}
        return await super().request(method, url, params=params, data=data, headers=headers, auth=None,
                                     timeout=timeout, allow_redirects=allow_redirects)


class RecipientUnsubscribed(DeliveryError):
    """Twilio error 21610: the number replied STOP to Twilio itself; never retried."""

    def __init__(self) -> None:
        super().__init__(f"recipient unsubscribed (Twilio {UNSUBSCRIBED})", retryable=False)


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str | None


class TwilioMessages:
    def __init__(self, settings: Settings) -> None:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        self._account_sid = settings.twilio_account_sid or ""
        self._auth_token = token
        self._api_base = settings.twilio_api_base
        self._http: _HttpClient | None = None
        self._client: Client | None = None

    def _messages(self) -> Any:
        if self._client is None:  # no await between check and set: concurrent lanes share one client
            self._http = _HttpClient(timeout=TIMEOUT_S, logger=_quiet)
            client = Client(self._account_sid, self._auth_token, http_client=self._http)
            client.api.base_url = self._api_base
            self._client = client
        return self._client.messages

    async def create(self, **params: Any) -> Sent:
        """``messages.create_async(**params)``; raises only ``DeliveryError``."""
        try:
            message = await self._messages().create_async(**params)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _translate(exc.status, exc.code) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Twilio unreachable: {type(exc).__name__}", retryable=True) from exc
        except TwilioException as exc:  # e.g. a reply that is not Twilio's JSON
            raise DeliveryError(f"Twilio client error: {type(exc).__name__}", retryable=True) from exc
        return Sent(str(message.sid), str(message.status) if message.status else None)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http = self._client = None


def _translate(status: int | None, code: int | None) -> DeliveryError:
    if code == UNSUBSCRIBED:
        return RecipientUnsubscribed()
    status = int(status or 0)
    retryable = status == 429 or status >= 500 or status == 0
    return DeliveryError(f"Twilio refused: HTTP {status}, error {code}", retryable=retryable)
