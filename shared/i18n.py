"""Languages, UI strings and the content-file basics shared with the playbook loader.

UI strings live in ``shared/content/<lang>/ui.toml``: nested tables or quoted dotted keys,
both read as flat dotted keys (``[alert] sent = ...`` is ``alert.sent``). English is the
reference language: a key missing elsewhere falls back to English and logs one warning per
key and language, so a half-finished translation never blanks a button on a tablet.

This module imports no Kivy and nothing from ``shared.playbooks``, so both the kiosk and
the loader can depend on it without cycles.
"""

from __future__ import annotations

import logging
import re
import threading
import tomllib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

# The language list lives in shared/languages.py (the one registry); re-exported here.
from shared.languages import CJK_LANGUAGES as CJK_LANGUAGES
from shared.languages import DEFAULT_LANGUAGE as DEFAULT_LANGUAGE
from shared.languages import LANGUAGE_LABELS as LANGUAGE_LABELS
from shared.languages import LANGUAGE_NAMES as LANGUAGE_NAMES
from shared.languages import LANGUAGES as LANGUAGES
from shared.languages import UPPER_CASE_TITLES as UPPER_CASE_TITLES

log = logging.getLogger(__name__)


CONTENT_DIR = Path(__file__).resolve().parent / "content"
UI_FILE = "ui.toml"


class ContentError(ValueError):
    """A content file is missing, unreadable or invalid; names the file, field and reason."""

    def __init__(self, file: Path | str, field: str, reason: str) -> None:
        self.file = Path(file)
        self.field = field
        self.reason = reason
        super().__init__(f"{self.file}: {field or '(file)'}: {reason}")


_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")
_TABLE_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY_AT_LINE = re.compile(r"^\s*([A-Za-z0-9_.\"'-]+)\s*=")


def _field_near_line(text: str, line_no: int) -> str:
    """Best-effort dotted path of the key at (or the table around) a 1-based line number."""
    table = ""
    lines = text.splitlines()
    for line in lines[: max(line_no - 1, 0)]:
        header = _TABLE_HEADER.match(line)
        if header:
            table = header.group(1).replace('"', "").replace(" ", "")
    key = ""
    if 0 < line_no <= len(lines):
        match = _KEY_AT_LINE.match(lines[line_no - 1])
        if match:
            key = match.group(1).strip("\"'")
    return ".".join(part for part in (table, key) if part) or f"line {line_no}"


def read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML content file, turning every failure into a ContentError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContentError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ContentError(path, "", f"cannot read the file: {error}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        position = _TOML_POSITION.search(str(error))
        field = _field_near_line(text, int(position.group(1))) if position else ""
        raise ContentError(path, field, f"TOML syntax error: {error}") from None


def flatten_strings(data: Mapping[str, Any], path: Path, prefix: str = "") -> dict[str, str]:
    """Flatten nested tables into dotted keys; every leaf must be a non-empty string."""
    flat: dict[str, str] = {}
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            nested = flatten_strings(value, path, f"{dotted}.")
            clash = flat.keys() & nested.keys()
            if clash:
                raise ContentError(path, sorted(clash)[0], "key defined twice")
            flat.update(nested)
        elif isinstance(value, str):
            if not value.strip():
                raise ContentError(path, dotted, "empty text")
            if dotted in flat:
                raise ContentError(path, dotted, "key defined twice")
            flat[dotted] = value
        else:
            raise ContentError(path, dotted, f"expected text, got {type(value).__name__}")
    return flat


@lru_cache(maxsize=32)
def _load_ui(lang: str, content_dir: Path) -> Mapping[str, str]:
    path = content_dir / lang / UI_FILE
    return flatten_strings(read_toml(path), path)


def load_ui_strings(lang: str, content_dir: Path | str | None = None) -> dict[str, str]:
    """All UI strings of one language as {dotted key: text}; raises ContentError if broken."""
    return dict(_load_ui(lang, Path(content_dir) if content_dir else CONTENT_DIR))


class Translator:
    """Looks up UI strings with English fallback; one warning per missing key and language."""

    def __init__(self, content_dir: Path | str | None = None) -> None:
        self.content_dir = Path(content_dir) if content_dir else CONTENT_DIR
        self._warned: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def _warn_once(self, key: str, lang: str, message: str, *args: object) -> None:
        with self._lock:
            if (key, lang) in self._warned:
                return
            self._warned.add((key, lang))
        log.warning(message, *args)

    def _template(self, key: str, lang: str) -> str:
        if lang not in LANGUAGES:
            self._warn_once("*", lang, "unknown language %r; using English", lang)
            lang = DEFAULT_LANGUAGE
        text = _load_ui(lang, self.content_dir).get(key)
        if text is not None:
            return text
        fallback = _load_ui(DEFAULT_LANGUAGE, self.content_dir).get(key)
        if fallback is None:
            self._warn_once(key, DEFAULT_LANGUAGE, "UI string %r is not defined in English", key)
            return key
        if lang != DEFAULT_LANGUAGE:
            self._warn_once(
                key, lang, "UI string %r missing in %s/%s; using English", key, lang, UI_FILE
            )
        return fallback

    def tr(self, key: str, lang: str, **fmt: object) -> str:
        """The UI text for ``key`` in ``lang``, with ``{placeholders}`` filled from ``fmt``."""
        template = self._template(key, lang)
        try:
            return template.format(**fmt)
        except (KeyError, IndexError, ValueError) as error:
            # A wrong placeholder must never crash a kiosk mid-incident: show the raw text.
            self._warn_once(
                f"{key}#format", lang, "UI string %r (%s) cannot be formatted: %r", key, lang, error
            )
            return template


_default_translator = Translator()


def tr(key: str, lang: str, **fmt: object) -> str:
    """The UI text for ``key`` in ``lang`` (English fallback, warning logged once)."""
    return _default_translator.tr(key, lang, **fmt)


def clear_caches() -> None:
    """Forget loaded UI strings (for tests and for content edited at runtime)."""
    _load_ui.cache_clear()
