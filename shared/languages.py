"""The one list of languages CalmDesk ships: everything else derives from it.

Adding a language is two steps: write ``shared/content/<code>/ui.toml`` and
``playbooks.toml`` (same keys and ids as English), then add one ``Language`` entry below.
The CLI choices, the kiosk and pager settings, the language buttons on both apps, the
content checks and the font subset all read this tuple. Imports nothing from the project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Language:
    """One shipped language."""

    code: str
    """ISO 639-1 code: the content folder's name and the settings value."""
    name: str
    """The language's own name for itself (pager sign-in buttons)."""
    cjk: bool = False
    """Chinese, Japanese or Korean script: counted in characters, not words; no upper case."""

    @property
    def label(self) -> str:
        """The short button label on the kiosk's status strip (EN, JA, ...)."""
        return self.code.upper()

    @property
    def upper_case_titles(self) -> bool:
        """Whether headings may be set in capitals (scripts without case are left alone)."""
        return not self.cjk


REGISTRY: tuple[Language, ...] = (
    Language("en", "English"),
    Language("ja", "日本語", cjk=True),
    Language("ko", "한국어", cjk=True),
    Language("lv", "Latviešu"),
    Language("fi", "Suomi"),
    Language("es", "Español"),
)

DEFAULT_LANGUAGE = "en"
LANGUAGES: tuple[str, ...] = tuple(language.code for language in REGISTRY)
LANGUAGE_NAMES: dict[str, str] = {language.code: language.name for language in REGISTRY}
LANGUAGE_LABELS: dict[str, str] = {language.code: language.label for language in REGISTRY}
CJK_LANGUAGES: frozenset[str] = frozenset(lang.code for lang in REGISTRY if lang.cjk)
UPPER_CASE_TITLES: frozenset[str] = frozenset(
    lang.code for lang in REGISTRY if lang.upper_case_titles
)


def check_language(code: str) -> str:
    """``code`` if CalmDesk ships it, else ValueError naming the choices (for validators)."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}; choose one of {', '.join(LANGUAGES)}")
    return code
