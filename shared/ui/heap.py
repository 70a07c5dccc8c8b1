"""Keep the garbage collector from pausing a tap's frame.

A Kivy app holds tens of thousands of long-lived objects (widgets, canvas instructions, kv
rules, playbooks). Each full (generation 2) collection walks all of them, and one landing
between a touch and its frame held that frame back by 100 ms and more: the tail of
``bench/tap_feedback.py`` (p99 173 ms → 65 ms with this, same machine, same run length).
Moving what start-up built into the permanent generation (``gc.freeze``) leaves the collector
only the objects made since; memory is unchanged.
"""

from __future__ import annotations

import gc


def settle_heap() -> None:
    """Collect once, then freeze every surviving object out of later collections."""
    gc.collect()
    gc.freeze()
