"""Configuration of the gateway, from the environment or ``.env``.

Names are the ones of DESIGN.md ("Interfaces") plus the gateway's own
``GATEWAY_*`` tuning knobs. Everything is validated once at start-up;
:func:`load_settings` turns a validation failure into one line on stderr and
exit code 2, because an operator needs to know *which* setting is wrong, not
read a pydantic traceback.
"""

from __future__ import annotations

import re
import sys
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError


def _http_url(value: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", value):
        raise ValueError("must be an http:// or https:// URL")
    return value.rstrip("/")


def _redis_url(value: str) -> str:
    if not re.fullmatch(r"(redis|rediss|unix)://\S+", value):
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
RedisUrl = Annotated[str, AfterValidator(_redis_url)]


TRUE_WORDS = ("1", "true", "yes")  # what actions/conversation.py reads as true
FALSE_WORDS = ("0", "false", "no")
ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?")  # nothing that could end a CSP directive


class Settings(BaseSettings):
    """All settings; field ``foo_bar`` is read from ``FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    # --- shared with the rest of the system (DESIGN.md) ---
    public_base_url: HttpUrl = "http://localhost:8080"
    redis_url: RedisUrl = "redis://127.0.0.1:6379/0"
    database_url: str | None = None
    pseudonym_key: SecretStr
    rasa_url: HttpUrl = "http://127.0.0.1:5005"
    rasa_token: SecretStr
    action_server_url: HttpUrl = "http://127.0.0.1:5055"

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_mode: Literal["webhook", "polling"] = "webhook"
    telegram_api_base: HttpUrl = "https://api.telegram.org"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_api_base: HttpUrl = "https://api.twilio.com"
    sms_segment_budget: int = Field(3, ge=1, le=10)
    # SMS and WhatsApp through Twilio (channels/adapters/twilio/); keyword lists are comma separated.
    twilio_whatsapp_from: str | None = None  # "whatsapp:+49..."; WhatsApp is off without it
    twilio_whatsapp_content_sid: str | None = None  # approved template sent outside the 24-hour window
    twilio_whatsapp_window_s: int = Field(24 * 3600 - 300, ge=60, le=24 * 3600)  # with a safety margin
    twilio_messages_per_second: float = Field(10.0, gt=0, le=1000)  # the sender's throughput at Twilio
    sms_opt_out_keywords: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["STOPP", "STOP"])
    sms_opt_in_keywords: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["START"])
    sms_help_keywords: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["HILFE", "HELP"])
    sms_daily_cap_per_number: int = Field(50, ge=1)  # replies per number and day (SMS pumping guard)
    sms_hourly_cap: int = Field(2000, ge=1)  # replies per hour over all numbers
    sms_more_ttl_s: int = Field(24 * 3600, ge=60)  # how long the rest of a shortened answer waits for MEHR
    # How long a numbered menu (SMS, WhatsApp) maps digits to its buttons. Shorter than the offered
    # payloads: a "2" days later is more likely a new message than an answer to an old menu.
    sms_menu_ttl_s: int = Field(24 * 3600, ge=1)
    sms_privacy_url: HttpUrl | None = None  # privacy statement; default {PUBLIC_BASE_URL}/datenschutz

    @field_validator("sms_opt_out_keywords", "sms_opt_in_keywords", "sms_help_keywords", mode="before")
    @classmethod
    def _keywords(cls, value: object, info: ValidationInfo) -> object:
        """Single words, upper case. Words that are also answers in a conversation (ENDE, ABMELDEN,
        ABBRECHEN) are refused: a citizen cancelling a form must not unsubscribe by accident."""
        words = value.split(",") if isinstance(value, str) else value
        if not isinstance(words, list):
            return value
        out = [str(word).strip().upper() for word in words if str(word).strip()]
        for word in out:
            if not re.fullmatch(r"\w+", word) or word in {"ENDE", "ABMELDEN", "ABBRECHEN", "MEHR"}:
                raise ValueError(f"{word!r} cannot be a keyword (one word; not ENDE, ABMELDEN, "
                                 "ABBRECHEN or MEHR)")
        if not out and info.field_name in ("sms_opt_out_keywords", "sms_opt_in_keywords"):
            raise ValueError("at least one keyword is required (a way out, and a way back)")
        return out

    webchat_allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Web chat: off unless the secret is set. It signs the browser's session token (HMAC-SHA256).
    webchat_session_secret: SecretStr | None = None
    webchat_session_ttl_s: int = Field(30 * 24 * 3600, ge=300)  # a token older than this starts anew
    webchat_history_ttl_s: int = Field(24 * 3600, ge=60)  # chat history kept after the last message
    # Photos from the web chat (POST /webchat/upload) are stored by the case service's /api/v1/media
    # (bearer CASE_SERVICE_TOKEN; uploads are off without it), which takes at most 5 MB.
    webchat_upload_max_bytes: int = Field(5 * 1024 * 1024, ge=1024, le=5 * 1024 * 1024)
    webchat_uploads_per_hour: int = Field(20, ge=1, le=1000)  # photos per web chat session and hour
    case_service_url: HttpUrl = "http://127.0.0.1:8081"
    # Sites that may show the demo pages in a frame (CSP frame-ancestors; comma separated origins).
    # Empty: no site may ('none'). The widget itself needs no frame: it is embedded by <script>.
    webchat_frame_ancestors: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # While the administration has not reviewed the answers, the demo page says they are examples
    # (the greeting does too: actions/conversation.py reads the same CONTENT_IS_EXAMPLE).
    content_is_example: bool = True
    # Per client address (citizens' browsers only; channel webhooks are never throttled):
    webchat_connections_per_ip_per_minute: int = Field(30, ge=1)  # new web chat sockets
    webchat_messages_per_ip_per_minute: int = Field(60, ge=1)  # messages over all of an address' sockets
    webchat_uploads_per_ip_per_hour: int = Field(60, ge=1)  # photos over all of an address' sessions
    # Reverse proxies in front of the gateway that append to X-Forwarded-For (0: none, the peer address
    # is the client's). The client address for the limits above is the one these proxies saw.
    gateway_trusted_proxies: int = Field(0, ge=0, le=10)

    # --- the test channel (tests and benchmarks only; off unless its token is set) ---
    test_channel_token: SecretStr | None = None
    test_channel_sink_url: HttpUrl | None = None

    # --- listening ---
    gateway_host: str = "0.0.0.0"
    gateway_port: int = Field(8080, ge=0, le=65535)
    internal_host: str = "127.0.0.1"
    internal_port: int = Field(8081, ge=0, le=65535)
    gateway_max_body_bytes: int = Field(256 * 1024, ge=1024, le=16 * 1024 * 1024)
    gateway_log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    # --- Redis layout and ordering ---
    gateway_redis_prefix: str = Field("gw", pattern=r"^[A-Za-z0-9_.\-]{1,40}$")
    gateway_partitions: int = Field(32, ge=1, le=1024)
    gateway_run_workers: bool = True
    # ``python -m channels``: processes that run the turns and senders beside the web process
    # (0: everything in one process). They run at a lower CPU priority (nice), so acknowledging
    # webhooks never waits behind turn processing, which is queued durably anyway.
    gateway_worker_processes: int = Field(1, ge=0, le=64)
    gateway_worker_nice: int = Field(10, ge=0, le=19)
    # Linux: the worker processes also run under SCHED_IDLE, so a webhook arriving always preempts
    # turn processing at once (niceness alone left the acknowledgement p99 at 23-110 ms under
    # make bench-gateway's load, SCHED_IDLE 11-19 ms). Turns then get only the CPU nothing else
    # wants: switch it off where other work keeps every core of the host busy for long.
    gateway_worker_sched_idle: bool = True
    gateway_lease_ttl_ms: int = Field(15_000, ge=300, le=600_000)
    gateway_dedupe_ttl_s: int = Field(3 * 24 * 3600, ge=60)
    gateway_offer_ttl_s: int = Field(30 * 24 * 3600, ge=60)
    # daily usage aggregates and helpfulness votes (channels/analytics.py): kept this many days
    analytics_retention_days: int = Field(400, ge=1, le=3650)

    # --- dialogue core client ---
    rasa_timeout_s: float = Field(30.0, gt=0)
    rasa_retry_base_s: float = Field(0.5, gt=0)
    rasa_retry_max_s: float = Field(15.0, gt=0)
    rasa_delay_notice_after_s: float = Field(20.0, ge=0)
    rasa_give_up_after_s: float = Field(24 * 3600.0, gt=0)
    # Several Rasa instances (comma separated; default: RASA_URL alone). A conversation always goes to
    # the same one (rendezvous hashing, channels/rasa_ring.py) and moves only while that one is down.
    rasa_urls: Annotated[list[HttpUrl], NoDecode] = Field(default_factory=list)
    rasa_down_after_failures: int = Field(2, ge=1, le=100)  # failed requests in a row that mark one down
    rasa_probe_after_s: float = Field(5.0, gt=0)  # how often a down instance is tried again

    @field_validator("rasa_urls", mode="before")
    @classmethod
    def _split_rasa_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def rasa_instances(self) -> list[str]:
        """RASA_URLS, or RASA_URL when that is empty."""
        return list(dict.fromkeys(self.rasa_urls)) or [self.rasa_url]

    # --- outbox ---
    outbox_max_attempts: int = Field(8, ge=1, le=100)
    outbox_retry_base_s: float = Field(1.0, gt=0)
    outbox_retry_max_s: float = Field(300.0, gt=0)
    outbox_max_in_flight: int = Field(1000, ge=1)

    # --- staff side: notifications and live handoff (channels/notify.py, channels/handoff.py) ---
    case_service_token: SecretStr | None = None  # bearer of /internal/v1 (the notify route is off without)
    gateway_address_ttl_s: int = Field(30 * 24 * 3600, ge=60)  # how long a conversation's address is kept
    handoff_max_wait_s: float = Field(600.0, gt=0)  # then a waiting citizen is offered a call-back, once
    handoff_ttl_s: int = Field(24 * 3600, ge=60)  # a handoff without any message for this long ends

    # --- data protection (channels/erasure.py, channels/retention.py; README "Retention") ---
    tracker_key_prefix: str = Field("buergerassistent", pattern=r"^[A-Za-z0-9]{1,40}$")  # Rasa's, to erase
    dead_letter_ttl_s: int = Field(30 * 24 * 3600, ge=60)  # dead letters (whole messages) kept this long
    delivery_record_ttl_s: int = Field(90 * 24 * 3600, ge=60)  # Twilio delivery statuses

    @field_validator("content_is_example", mode="before")
    @classmethod
    def _same_flag_as_the_actions(cls, value: object) -> object:
        """Only the spellings the action server understands, so both sides never disagree on one value."""
        if isinstance(value, str):
            word = value.strip().lower()
            if word not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(f"must be one of {', '.join(TRUE_WORDS + FALSE_WORDS)}")
            return word in TRUE_WORDS
        return value

    @field_validator("webchat_allowed_origins", "webchat_frame_ancestors", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """``WEBCHAT_ALLOWED_ORIGINS=https://a.de,https://b.de`` (comma separated)."""
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("webchat_allowed_origins", "webchat_frame_ancestors")
    @classmethod
    def _origins_are_urls(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(f"{origin!r} is not an origin like https://www.maerkischer-kreis.de")
        return value

    @field_validator("webchat_session_secret")
    @classmethod
    def _session_secret_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        """Set but short would make session tokens guessable; unset switches the web chat off."""
        if value is not None and value.get_secret_value() and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (a random secret)")
        return value

    @model_validator(mode="after")
    def _telegram_secret(self) -> Settings:
        """Without the secret the webhook could not tell Telegram's requests from anybody's;
        Telegram itself accepts only 1-256 characters of A-Z, a-z, 0-9, _ and -."""
        token = self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else ""
        secret = self.telegram_webhook_secret.get_secret_value() if self.telegram_webhook_secret else ""
        if secret and not re.fullmatch(r"[A-Za-z0-9_\-]{16,256}", secret):
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be 16 to 256 characters of A-Z, a-z, 0-9, _ and -")
        if token and self.telegram_mode == "webhook" and not secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET is required when TELEGRAM_BOT_TOKEN is set "
                             "and TELEGRAM_MODE is webhook")
        return self

    @field_validator("pseudonym_key", "rasa_token")
    @classmethod
    def _long_enough(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        minimum = 16 if info.field_name == "pseudonym_key" else 8
        if len(value.get_secret_value()) < minimum:
            raise ValueError(f"must be at least {minimum} characters (a random secret)")
        return value

    @model_validator(mode="after")
    def _retry_bounds(self) -> Settings:
        if self.rasa_retry_max_s < self.rasa_retry_base_s:
            raise ValueError("RASA_RETRY_MAX_S must not be smaller than RASA_RETRY_BASE_S")
        if self.outbox_retry_max_s < self.outbox_retry_base_s:
            raise ValueError("OUTBOX_RETRY_MAX_S must not be smaller than OUTBOX_RETRY_BASE_S")
        return self

    @property
    def lease_renew_s(self) -> float:
        """Leases are renewed three times per TTL, so one slow renewal does not lose them."""
        return self.gateway_lease_ttl_ms / 3000


def describe_error(error: ValidationError | SettingsError) -> str:
    """One line naming each bad setting and why (no values: they may be secrets)."""
    if isinstance(error, SettingsError):
        return f"configuration error: {error}"
    parts = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]).upper()
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            parts.append(f"{name} is required but not set")
        else:
            parts.append(f"{name}: {message}" if name else message)
    return "configuration error: " + "; ".join(parts)


def load_settings(env_file: str | None = ".env") -> Settings:
    """Validated settings, or exit 2 with one line on stderr saying what is wrong."""
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except (ValidationError, SettingsError) as error:
        print(describe_error(error).replace("\n", " "), file=sys.stderr, flush=True)
        raise SystemExit(2) from None
