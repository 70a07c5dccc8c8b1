"""View-model of the wrap-up form: Kivy properties over :class:`kiosk.domain.wrapup.WrapUp`.

No widgets here (only kivy.event / kivy.properties), so it is testable without a window.
"""

from __future__ import annotations

from kivy.event import EventDispatcher
from kivy.properties import BooleanProperty, OptionProperty, StringProperty

from kiosk.domain.wrapup import OUTCOMES, PERPETRATORS, VIOLENCE_TYPES, WrapUp

FIELDS = (
    "outcome",
    "notes",
    "follow_up",
    "follow_up_in",
    "violence_type",
    "perpetrator",
    "alone_or_unable_to_get_help",
    "injuries",
    "caution",
    "caution_description",
    "caution_reason",
)


class WrapUpViewModel(EventDispatcher):
    """The form's fields as properties; :meth:`form` copies them into a WrapUp."""

    outcome = OptionProperty("", options=("", *OUTCOMES))
    notes = StringProperty("")
    follow_up = BooleanProperty(False)
    follow_up_in = OptionProperty("tomorrow", options=("today", "tomorrow", "this_week"))
    violence_type = OptionProperty("none", options=VIOLENCE_TYPES)
    perpetrator = OptionProperty("customer", options=PERPETRATORS)
    alone_or_unable_to_get_help = BooleanProperty(False)
    injuries = BooleanProperty(False)
    caution = BooleanProperty(False)
    caution_description = StringProperty("")
    caution_reason = StringProperty("")
    error_key = StringProperty("")
    near_miss = BooleanProperty(False)

    def reset(self, *, near_miss: bool) -> None:
        """Start a blank form."""
        blank = WrapUp(store="x", device="x", counter="")
        for name in FIELDS:
            value = getattr(blank, name)
            setattr(self, name, "" if value is None else value)
        self.error_key = ""
        self.near_miss = near_miss

    def fill(self, form: WrapUp) -> WrapUp:
        """Copy the edited fields into ``form`` and return it."""
        for name in FIELDS:
            value = getattr(self, name)
            setattr(form, name, value if value != "" or name != "outcome" else None)
        return form
