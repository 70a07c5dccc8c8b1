"""Real ring output: Kivy's SoundLoader for the tones, plyer for vibration where it exists.

Both are optional at run time: a device without audio (or SDL's dummy driver in tests) still
shows every alert; a failure is logged once, never raised into the ring controller.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.protocol import Level
from staff_app.domain.tones import tone_path

log = logging.getLogger(__name__)


class KivySoundAudio:
    """Plays the shipped WAVs through ``kivy.core.audio.SoundLoader``."""

    def __init__(self) -> None:
        self._sounds: dict[str, Any] = {}
        self._failed: set[str] = set()
        self._playing: Any = None

    def _sound(self, tone: Level) -> Any:
        if tone in self._failed:
            return None
        sound = self._sounds.get(tone)
        if sound is None:
            from kivy.core.audio import SoundLoader

            path = tone_path(tone)
            sound = SoundLoader.load(str(path))
            if sound is None:
                log.warning("cannot load ring tone %s: no audio provider; alerts stay visual", path)
                self._failed.add(tone)
                return None
            self._sounds[tone] = sound
        return sound

    def play(self, tone: Level) -> None:
        try:
            sound = self._sound(tone)
            if sound is None:
                return
            if self._playing is not None and self._playing is not sound:
                self._playing.stop()
            sound.stop()
            sound.play()
            self._playing = sound
        except Exception:  # a broken speaker must never hide an alert
            log.exception("ring tone %s failed to play", tone)
            self._failed.add(tone)

    def stop(self) -> None:
        try:
            if self._playing is not None:
                self._playing.stop()
        except Exception:
            log.exception("ring tone failed to stop")
        self._playing = None


class PlyerVibrator:
    """Vibrates through plyer on phones; on a desktop it turns itself off after one try."""

    def __init__(self, vibrator: Any) -> None:
        self._vibrator = vibrator
        self._enabled = True

    def vibrate(self, seconds: float) -> None:
        if not self._enabled:
            return
        try:
            self._vibrator.vibrate(time=seconds)
        except Exception as error:  # NotImplementedError on desktops
            log.info("vibration unavailable here (%s); ringing with sound only", error)
            self._enabled = False

    def cancel(self) -> None:
        if not self._enabled:
            return
        try:
            self._vibrator.cancel()
        except Exception:
            self._enabled = False


def platform_vibrator() -> PlyerVibrator | None:
    """plyer's vibrator if plyer is installed (it is optional), else None."""
    try:
        from plyer import vibrator  # type: ignore[import-not-found]
    except Exception:
        return None
    return PlyerVibrator(vibrator)
