"""What a pager remembers between runs: signed in or not, on duty or not, its language."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.i18n import LANGUAGES

log = logging.getLogger(__name__)


@dataclass
class PagerSession:
    signed_in: bool = False
    on_duty: bool = False
    lang: str = "en"

    @staticmethod
    def path(data_dir: Path, device: str) -> Path:
        return data_dir / "pager" / f"{device}.json"

    @classmethod
    def load(cls, data_dir: Path, device: str) -> PagerSession:
        path = cls.path(data_dir, device)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            session = cls(bool(data["signed_in"]), bool(data["on_duty"]), str(data["lang"]))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError, KeyError, TypeError) as error:
            log.warning("%s: unreadable (%s); starting signed out", path, error)
            return cls()
        if session.lang not in LANGUAGES:
            session.lang = "en"
        return session

    def save(self, data_dir: Path, device: str) -> None:
        path = self.path(data_dir, device)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self)), encoding="utf-8")
        tmp.replace(path)
