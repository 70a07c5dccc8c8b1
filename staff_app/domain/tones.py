"""The two ring tones, generated with the standard library so the package ships no opaque audio.

Security: a fast, urgent two-tone warble (high/low, square-ish). Manager: a softer three-note
falling chime. They differ in pitch, rhythm and timbre, so a person tells them apart without
looking. Output is deterministic: :func:`write_tones` produces byte-identical files, and a test
checks the committed WAVs match.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16_000
AMPLITUDE = 0.6
SOUNDS_DIR = Path(__file__).resolve().parent.parent / "sounds"


def _note(
    freq: float, seconds: float, *, harmonics: tuple[float, ...], decay: float
) -> list[float]:
    samples = []
    count = int(RATE * seconds)
    fade = int(RATE * 0.008)  # 8 ms ramps: no clicks at note edges
    for i in range(count):
        t = i / RATE
        value = sum(
            weight * math.sin(2 * math.pi * freq * (n + 1) * t)
            for n, weight in enumerate(harmonics)
        )
        envelope = math.exp(-decay * t) * min(1.0, i / fade, (count - i) / fade)
        samples.append(value * envelope)
    return samples


def _silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def security_tone() -> list[float]:
    """Hi-lo warble, four times: 1 175 Hz / 880 Hz, 0.14 s each, bright (odd harmonics)."""
    bright = (1.0, 0.0, 0.33, 0.0, 0.2)
    samples: list[float] = []
    for _ in range(4):
        samples += _note(1175, 0.14, harmonics=bright, decay=0.0)
        samples += _note(880, 0.14, harmonics=bright, decay=0.0)
    return samples + _silence(0.05)


def manager_tone() -> list[float]:
    """A falling three-note chime (E6, C6, G5) with a soft bell decay."""
    bell = (1.0, 0.35, 0.12)
    samples: list[float] = []
    for freq in (1319, 1047, 784):
        samples += _note(freq, 0.3, harmonics=bell, decay=5.0)
    return samples + _silence(0.1)


def to_wav_bytes(samples: list[float]) -> bytes:
    peak = max(abs(s) for s in samples) or 1.0
    scale = AMPLITUDE * 32767 / peak
    return b"".join(struct.pack("<h", round(s * scale)) for s in samples)


def write_tones(out_dir: Path = SOUNDS_DIR) -> dict[str, Path]:
    """Write security.wav and manager.wav (16 kHz mono 16-bit); return their paths by level."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for level, samples in (("security", security_tone()), ("manager", manager_tone())):
        path = out_dir / f"{level}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(to_wav_bytes(samples))
        written[level] = path
    return written


def tone_path(level: str) -> Path:
    """The shipped WAV for ``level`` ("security" or "manager")."""
    return SOUNDS_DIR / f"{level}.wav"


if __name__ == "__main__":
    for path in write_tones().values():
        print(path)
