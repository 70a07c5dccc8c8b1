"""The pager's domain: plain Python, no Kivy, no paho.

- :mod:`staff_app.domain.pager`: what the pager knows (alerts, late arrivals, which alert takes
  over the screen, today's history) and the messages its actions produce.
- :mod:`staff_app.domain.journal`: the alert journal on the device, replayed at start so
  today's alerts survive a restart.
- :mod:`staff_app.domain.ring`: the ring controller (repeat until answered) over a replaceable
  audio backend.
- :mod:`staff_app.domain.clock`: the scheduler interface, with a fake clock for tests.
- :mod:`staff_app.domain.tones`: the ring sounds, generated deterministically.
"""
