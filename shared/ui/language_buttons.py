"""One button per shipped language, built from the registry (``shared.languages.REGISTRY``).

Both apps use it, so a new language needs no .kv edit: the kiosk's status strip shows short
codes (EN, JA, ...), the pager's sign-in screen shows each language's own name. The widget
only reports a choice (``on_choose``); the view-model decides what a choice does.
"""

from __future__ import annotations

from functools import partial

from kivy.factory import Factory
from kivy.properties import OptionProperty, StringProperty
from kivy.uix.gridlayout import GridLayout
from kivy.uix.widget import Widget

from shared.languages import DEFAULT_LANGUAGE, REGISTRY


class LanguageButtons(GridLayout):
    """A grid of language buttons; ``lang`` marks the selected one, taps fire ``on_choose``.

    ``button`` names the Factory class of each button (styled in the app's kv), ``labels``
    chooses between the short code and the native name. Buttons that have a ``tid`` property
    (the pager's test ids) get ``lang_<code>``.
    """

    lang = StringProperty(DEFAULT_LANGUAGE)
    button = StringProperty("CalmButton")
    labels = OptionProperty("code", options=("code", "name"))
    __events__ = ("on_choose",)

    def on_kv_post(self, base_widget: Widget) -> None:
        """Build the buttons once the kv rule has set ``button`` and ``labels``."""
        self.clear_widgets()
        for language in REGISTRY:
            text = language.label if self.labels == "code" else language.name
            widget = Factory.get(self.button)(text=text)
            if hasattr(widget, "tid"):
                widget.tid = f"lang_{language.code}"
            widget.code = language.code
            widget.bind(on_release=partial(self._chosen, language.code))
            self.add_widget(widget)
        self._mark()
        self.bind(lang=self._mark)

    def _mark(self, *_args: object) -> None:
        for widget in self.children:
            widget.selected = widget.code == self.lang

    def _chosen(self, code: str, *_args: object) -> None:
        self.dispatch("on_choose", code)

    def on_choose(self, code: str) -> None:
        """Default handler: nothing (the kv rule binds the view-model's setter)."""
