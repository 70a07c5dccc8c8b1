"""Ring controller: repeats until stopped, with a distinct pattern per level (fake audio, fake
clock: no audio hardware)."""

from __future__ import annotations

from staff_app.domain.clock import FakeClock
from staff_app.domain.ring import PATTERNS, RecordingAudio, RecordingVibrator, RingController


def make() -> tuple[RingController, RecordingAudio, RecordingVibrator, FakeClock, list[str]]:
    audio, vibrator, clock, rang = RecordingAudio(), RecordingVibrator(), FakeClock(), []
    ring = RingController(audio, clock, vibrator=vibrator, on_ring=rang.append)
    return ring, audio, vibrator, clock, rang


def test_ringing_repeats_at_the_level_interval_until_stopped() -> None:
    ring, audio, vibrator, clock, rang = make()
    ring.ring("security")
    assert audio.played == ["security"]
    clock.advance(PATTERNS["security"].every_s * 5)
    assert audio.played == ["security"] * 6
    assert len(vibrator.buzzes) == 6
    ring.stop()
    clock.advance(60)
    assert len(audio.played) == 6
    assert audio.stops == 1 and vibrator.cancels == 1
    assert clock.pending() == 0
    assert rang == ["security"] * 6


def test_security_and_manager_sound_and_pace_differently() -> None:
    assert PATTERNS["security"].tone != PATTERNS["manager"].tone
    assert PATTERNS["security"].every_s < PATTERNS["manager"].every_s
    ring, audio, _, clock, _ = make()
    ring.ring("manager")
    clock.advance(8.0)
    assert audio.played == ["manager"] * 3


def test_ringing_the_same_level_again_does_not_restart_the_rhythm() -> None:
    ring, audio, _, clock, _ = make()
    ring.ring("manager")
    clock.advance(3.9)
    ring.ring("manager")
    assert audio.played == ["manager"]
    clock.advance(0.1)
    assert audio.played == ["manager"] * 2


def test_switching_to_security_rings_at_once_and_keeps_one_timer() -> None:
    ring, audio, _, clock, _ = make()
    ring.ring("manager")
    ring.ring("security")
    assert audio.played == ["manager", "security"]
    assert clock.pending() == 1
    clock.advance(2.0)
    assert audio.played[-1] == "security"


def test_stop_when_silent_is_harmless() -> None:
    ring, audio, _, _, _ = make()
    ring.stop()
    assert audio.stops == 0 and not ring.ringing
