"""Drive real app windows with real X input, for UI tests and the latency bench.

Not used by the app itself. :class:`Xvfb` starts a private X server (so two app windows can
sit side by side on a screen of our choosing); :class:`AppWindow` runs an app as a
subprocess on it, finds its window by pid, moves it, and clicks with ``xdotool`` at a
widget's centre. The pager reports its targets' coordinates and its rings through the
``CALMDESK_PAGER_TRACE`` JSON-lines file (see :mod:`staff_app.app`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

Event = dict[str, Any]


def tools_missing() -> list[str]:
    return [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]


class Xvfb:
    """A private X server; ``display`` is ":N"."""

    def __init__(self, width: int = 1760, height: int = 900) -> None:
        self.size = (width, height)
        self.display = ""
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Xvfb:
        read, write = os.pipe()
        self._proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write),
                "-screen",
                "0",
                f"{self.size[0]}x{self.size[1]}x24",
                "+extension",
                "GLX",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number}"
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(5)

    def screenshot(self, path: Path) -> Path:
        """The whole screen, as a person would see it (ImageMagick ``import``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-display", self.display, "-window", "root", str(path)],
            check=True,
            timeout=20,
        )
        return path


def xdotool(display: str, *args: str) -> str:
    result = subprocess.run(
        ["xdotool", *args],
        env={**os.environ, "DISPLAY": display},
        capture_output=True,
        text=True,
        timeout=10,
    )
    return result.stdout.strip()


def window_of(pid: int, display: str) -> str:
    """The last visible top-level window of process ``pid``, or "" if none (yet)."""
    ids = xdotool(display, "search", "--onlyvisible", "--pid", str(pid)).split()
    return ids[-1] if ids else ""


def click(display: str, window: str, x: int, y: int) -> float:
    """Raise ``window`` and click at window-relative (x, y) with the real X pointer.

    Returns time.monotonic() taken just before the button press (for latency figures)."""
    xdotool(display, "windowraise", window)
    xdotool(display, "mousemove", "--window", window, str(x), str(y))
    time.sleep(0.05)  # let the app see the pointer arrive before the button goes down
    started = time.monotonic()
    xdotool(display, "click", "1")
    return started


def read_trace(path: Path) -> list[Event]:
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line being written right now
    return events


class AppWindow:
    """One app process on an X display, clickable by window-relative coordinates."""

    def __init__(
        self,
        args: Sequence[str],
        display: str,
        log_path: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        full_env = {
            **os.environ,
            "DISPLAY": display,
            "SDL_AUDIODRIVER": "dummy",
            "KIVY_NO_ARGS": "1",
            "KIVY_NO_CONSOLELOG": "0",
            **(env or {}),
        }
        self.display = display
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, *args],
            env=full_env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.window = ""

    def xdotool(self, *args: str) -> str:
        return xdotool(self.display, *args)

    def find_window(self, timeout: float = 20.0) -> str:
        """The app's top-level window id (waits until it is mapped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}; see {self.log_path}")
            self.window = window_of(self.proc.pid, self.display)
            if self.window:
                return self.window
            time.sleep(0.1)
        raise TimeoutError(f"no window for pid {self.proc.pid}; see {self.log_path}")

    def move(self, x: int, y: int) -> None:
        self.xdotool("windowmove", "--sync", self.window, str(x), str(y))

    def click(self, x: int, y: int) -> float:
        """Click at window-relative (x, y); returns time.monotonic() just before the click."""
        return click(self.display, self.window, x, y)

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


class PagerWindow(AppWindow):
    """The pager app with its trace file, so tests can wait for screens and rings."""

    def __init__(self, device: str, data_dir: Path, display: str, trace: Path, **kw: Any):
        self.trace_path = trace
        super().__init__(
            ["-m", "staff_app", "--device", device, "--data-dir", str(data_dir)],
            display,
            trace.with_suffix(".log"),
            env={"CALMDESK_PAGER_TRACE": str(trace), **kw.pop("env", {})},
            **kw,
        )

    def events(self, kind: str | None = None) -> list[Event]:
        return [e for e in read_trace(self.trace_path) if kind is None or e["event"] == kind]

    def wait_for(self, check: Callable[[list[Event]], Any], timeout: float = 15.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"pager exited with {self.proc.returncode}; see {self.log_path}")
            found = check(self.events())
            if found:
                return found
            time.sleep(0.05)
        raise TimeoutError(f"pager trace never matched; see {self.trace_path} and {self.log_path}")

    def target(self, tid: str, screen: str, timeout: float = 15.0) -> tuple[int, int]:
        """Window coordinates of a tappable target once ``screen`` is laid out and stable
        (the app traces its targets every 0.5 s when they change)."""

        def check(events: list[Event]) -> tuple[int, int] | None:
            layouts = [e for e in events if e["event"] == "targets"]
            if not layouts or time.monotonic() - layouts[-1]["t_mono"] < 0.7:
                return None
            if layouts[-1]["screen"] == screen and tid in layouts[-1]["targets"]:
                return tuple(layouts[-1]["targets"][tid])  # type: ignore[return-value]
            return None

        return self.wait_for(check, timeout)

    def tap(self, tid: str, screen: str) -> float:
        return self.click(*self.target(tid, screen))
