"""The shipped ring tones are the ones the generator makes, and they differ."""

from __future__ import annotations

import array
import wave
from pathlib import Path

from staff_app.domain.tones import RATE, tone_path, write_tones


def samples(path: Path) -> array.array:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
        return array.array("h", wav.readframes(wav.getnframes()))


def test_shipped_wavs_match_the_generator(tmp_path: Path) -> None:
    fresh = write_tones(tmp_path)
    for level, path in fresh.items():
        shipped, generated = samples(tone_path(level)), samples(path)
        assert len(shipped) == len(generated)
        # libm may differ in the last bit between platforms: allow one step of rounding.
        assert max(abs(a - b) for a, b in zip(shipped, generated, strict=True)) <= 1


def test_security_and_manager_tones_are_distinct_and_short() -> None:
    security, manager = samples(tone_path("security")), samples(tone_path("manager"))
    assert security != manager
    for tone in (security, manager):
        assert 0.5 < len(tone) / RATE < 1.5
        assert max(tone) > 10_000  # audible, not a silent file
