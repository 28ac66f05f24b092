"""Settings of the staff side, from the environment or ``.env`` (names in CONTRACT.md).

Read like ``channels/settings.py``: validated once; :func:`load` turns a bad
value into one line naming the setting (exit code 2), never a traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = ROOT / "data" / "run" / "cases.db"


class Settings(BaseSettings):
    """Field ``foo_bar`` is read from ``FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    case_service_token: SecretStr | None = None  # bearer of /api/v1; the API answers 401 without it
    database_url: str | None = None  # default: SQLite file data/run/cases.db
    case_reference_prefix: str = Field("MK", pattern=r"^[A-Z]{2,4}$")
    case_overdue_after_h: int = Field(72, ge=1)
    gateway_notify_url: str = Field("http://127.0.0.1:8081", pattern=r"^https?://[^\s/]+(/\S*)?$")
    redis_url: str = Field("redis://127.0.0.1:6379/0", pattern=r"^(redis|rediss|unix)://\S+$")
    gateway_redis_prefix: str = Field("gw", pattern=r"^[A-Za-z0-9_.\-]{1,40}$")
    smtp_host: str | None = None
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_from: str = "buergerassistent@localhost"
    staff_notify_email: str | None = None
    handoff_max_wait_s: int = Field(600, ge=10)
    console_session_ttl_s: int = Field(28800, ge=60)
    # Console cookies with ``Secure`` (and the ``__Host-`` name). Unset: when PUBLIC_BASE_URL is https.
    # Set true when staff reach the console over https under another name than the public site.
    console_secure_cookies: bool | None = None
    open311_api_keys: str = ""  # comma separated; POST /open311/v2/requests.json is off without
    # limits of citizens' lookups (per conversation)
    status_lookups_per_minute: int = Field(5, ge=1)
    wrong_pins_per_hour: int = Field(5, ge=1)
    booking_horizon_days: int = Field(28, ge=1, le=365)
    reminder_interval_s: float = Field(300.0, gt=0)
    media_ttl_h: int = Field(24, ge=1)
    # unanswered questions (masked) are deleted this many days after the day they were asked
    unanswered_retention_days: int = Field(90, ge=1, le=3650)
    # content (nlu_data/): answers served by POST /nlg, edited in the console
    content_dir: Path = ROOT / "nlu_data"
    content_domain_dir: Path = ROOT / "bot" / "domain"
    content_poll_s: float = Field(2.0, gt=0, le=8)  # a saved or hand-edited answer is served within this
    content_four_eyes: bool = False  # True: an editor's change waits for a reviewer's approval
    content_review_after_days: int = Field(365, ge=1)  # topics reviewed longer ago are flagged
    # a new example the model in service gives to another topic with at least this confidence is flagged
    content_conflict_confidence: float = Field(0.8, ge=0, le=1)
    sms_segment_budget: int = Field(3, ge=1, le=10)  # the gateway's SMS budget, for the console preview
    analytics_retention_days: int = Field(400, ge=1, le=3650)  # the gateway's: handoff counts expire with it
    # closed cases (and appointments that are over) lose their personal fields this long after
    # their last change (backoffice/privacy.py)
    case_retention_days: int = Field(90, ge=1)
    # Train, check, publish (backoffice/publish/). The Rasa servers a new model is loaded into,
    # one at a time: RASA_URLS (comma separated) or else RASA_URL; RASA_TOKEN is their API token.
    rasa_url: str = Field("http://127.0.0.1:5005", pattern=r"^https?://[^\s/]+(/\S*)?$")
    rasa_urls: str = ""
    rasa_token: SecretStr | None = None
    publish_max_drop_points: float = Field(2.0, ge=0, le=100)  # allowed drop of a figure, in points
    publish_load_timeout_s: float = Field(600.0, gt=0)  # one Rasa server loading a model
    model_registry_path: Path = ROOT / "data" / "run" / "models.json"
    publish_work_dir: Path = ROOT / "data" / "run" / "publish"  # logs and reports of each run
    publish_models_dir: Path = ROOT / "models" / "published"  # must be readable by every Rasa server
    publish_topics_dir: Path = ROOT / "nlu_data" / "topics"
    publish_config: Path = ROOT / "config.yml"  # the pipeline file trained with
    publish_conversation_tests: str = "tests/e2e/test_conversations.py"  # pytest arguments

    @field_validator("gateway_notify_url")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def token(self) -> str | None:
        return self.case_service_token.get_secret_value() if self.case_service_token else None

    @property
    def rasa_instances(self) -> list[str]:
        """RASA_URLS, else RASA_URL: every server a published model goes into."""
        urls = [u.strip().rstrip("/") for u in self.rasa_urls.split(",") if u.strip()]
        return list(dict.fromkeys(urls)) or [self.rasa_url.rstrip("/")]

    @property
    def open311_keys(self) -> frozenset[str]:
        return frozenset(key.strip() for key in self.open311_api_keys.split(",") if key.strip())


def load() -> Settings:
    """Settings from the environment; a bad value ends the process with one line naming it."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        print(f"backoffice: setting {name}: {error['msg']}", file=sys.stderr)
    except SettingsError as exc:
        print(f"backoffice: settings: {exc}", file=sys.stderr)
    raise SystemExit(2)
