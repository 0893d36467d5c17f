"""Settings read by the page edge only: where the API lives and the optional read key."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class UISettings(BaseSettings):
    """`ARTICLEQA_API_URL` and `ARTICLEQA_API_KEY` (sent as X-API-Key on reads)."""

    model_config = SettingsConfigDict(env_prefix="ARTICLEQA_", extra="ignore")

    api_url: str = Field(default="http://127.0.0.1:8000", description="base URL of the articleqa HTTP API")
    api_key: SecretStr | None = Field(default=None, description="read key sent as X-API-Key; unset = no key")

    def read_key(self) -> str | None:
        """The read key as plain text, or None when unset or blank."""
        if self.api_key is None:
            return None
        return self.api_key.get_secret_value().strip() or None
