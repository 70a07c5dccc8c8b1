"""Kiosk-only settings: exit PIN, disguised control label, staff time limit, drill, language.

Read from ``<data-dir>/kiosk/<device>.json`` if present (all fields optional); command-line
flags override the file. The device's connection file (``calmdesk provision``) stays separate
because it holds the broker password and is written by the hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from shared.languages import DEFAULT_LANGUAGE, check_language
from shared.settings import load_json_model

DEFAULT_EXIT_PIN = "2580"


class KioskSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    exit_pin: str = Field(default=DEFAULT_EXIT_PIN, pattern=r"^\d{4,8}$")
    exit_hold_seconds: float = Field(default=3.0, ge=1.0, le=10.0)
    silent_label: str | None = Field(default=None, max_length=40)
    """Text of the disguised silent-Security control; None = the i18n default."""
    limit_minutes: int | None = Field(default=None, ge=1, le=120)
    undo_seconds: float = Field(default=5.0, ge=0.0, le=30.0)
    lang: Annotated[str, AfterValidator(check_language)] = DEFAULT_LANGUAGE
    """One of shared.languages.LANGUAGES."""
    drill: bool = False
    fullscreen: bool = False
    portrait: bool = False

    @classmethod
    def load(cls, data_dir: Path, device: str) -> KioskSettings:
        path = cls.path(data_dir, device)
        if not path.exists():
            return cls()
        return load_json_model(cls, path, missing_hint="")

    @staticmethod
    def path(data_dir: Path, device: str) -> Path:
        return data_dir / "kiosk" / f"{device}.json"
