"""The kiosk's domain layer: plain Python, no Kivy, no network.

- :mod:`kiosk.domain.flow`: home → optional triage → guided steps, with progress, elapsed
  time and the staff member's time limit.
- :mod:`kiosk.domain.escalation`: one-tap Manager / Security, undo window, cancel, level
  upgrade with the same alert id, kiosk-side escalation timers.
- :mod:`kiosk.domain.panel`: what the alert status panel may honestly claim.
- :mod:`kiosk.domain.wrapup`: the wrap-up form and the IncidentReport it produces.
- :mod:`kiosk.domain.journal`: the open alert on disk, restored after a kiosk restart.
"""
