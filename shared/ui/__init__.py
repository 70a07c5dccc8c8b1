"""Shared Kivy look and widgets for the kiosk and the pager.

- :mod:`shared.ui.theme`: colours, sizes (dp/sp), and the CalmDeskSans font registration.
  Imports no Kivy at module level, so non-UI code may read the constants.
- :mod:`shared.ui.widgets` (+ ``widgets.kv``): CalmLabel, WrapLabel, StepLabel (shrinks a
  notch before wrapping past four lines), CalmButton (≥ 48 dp), EscalationButton /
  EscalationBar (≥ 96 dp, ≥ 24 dp gap), Icon (drawn shapes, no font needed), StatusDot and
  HoldButton (long press). Importing it opens a window: only views and apps import it.
- :mod:`shared.ui.fit`: "does every label fit its box" checker for tests and screenshots.
- :mod:`shared.ui.screenshot`: render a widget tree at a given size to a PNG.
"""
