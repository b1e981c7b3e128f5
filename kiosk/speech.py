"""Reading the screen aloud with espeak-ng, run as a program (never a Python binding: those hang).

A person who cannot read the screen well presses a key and hears the question, its help, the
message below the answer and the choices, in the language on screen. Speech never holds up the
kiosk: ``espeak-ng`` runs as a child process fed through its standard input (so no text appears in
the process list), and stopping it, leaving the screen or the end of a visit kills it at once.

The loudness is set per utterance with espeak-ng's amplitude (``-a``, from the kiosk settings), so
every visitor starts at the same volume; the sound card's own level is reset by
``reset_mixer_volume`` (``amixer``, from alsa-utils, installed by deploy/kiosk/lockdown.sh).
This module knows nothing of the screen: the UI hands it plain text.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
from pathlib import Path

log = logging.getLogger("rathaus.kiosk.speech")

PROGRAM = "espeak-ng"
MIXER_PROGRAM = "amixer"
VOICES = {"de": "de", "en": "en-gb"}
MAX_CHARACTERS = 4000  # a screen's worth; far below a pipe's buffer, so writing never waits
WORDS_PER_MINUTE = 140  # a little slower than espeak-ng's 175, for older listeners
DEFAULT_AMPLITUDE = 100  # espeak-ng's own default; 0 to 200
MIXER_TIMEOUT_SECONDS = 5


class Speaker:
    """One voice for the kiosk: at most one utterance at a time, stoppable at any moment."""

    def __init__(
        self,
        *,
        amplitude: int = DEFAULT_AMPLITUDE,
        words_per_minute: int = WORDS_PER_MINUTE,
        program: str = PROGRAM,
        record_to: Path | None = None,
    ) -> None:
        self.amplitude = _within(amplitude, 0, 200, DEFAULT_AMPLITUDE)
        self.words_per_minute = _within(words_per_minute, 80, 450, WORDS_PER_MINUTE)
        self.program = program
        self.record_to = record_to  # a WAV file instead of the loudspeaker (set-up check, tests)
        self._process: subprocess.Popen[bytes] | None = None
        self.last_text = ""
        self.last_language = "de"

    # --- what can be done -------------------------------------------------------------------

    def executable(self) -> str | None:
        """The espeak-ng program on ``PATH``, or ``None`` where speech is not set up."""
        return shutil.which(self.program)

    @property
    def available(self) -> bool:
        return self.executable() is not None

    @property
    def speaking(self) -> bool:
        """True while an utterance is still being spoken."""
        return self._process is not None and self._process.poll() is None

    # --- speaking -----------------------------------------------------------------------------

    def speak(self, text: str, lang: str) -> bool:
        """Start saying ``text`` in ``lang`` and return at once; an earlier utterance stops.

        Returns False when espeak-ng is missing or cannot be started (the caller says so).
        """
        self.stop()
        text = _bounded(text)
        self.last_text, self.last_language = text, lang
        if not text:
            return True
        command = self._command(lang)
        if self.record_to is not None:
            command += ["-w", str(self.record_to)]
        process = self._start(command, text)
        self._process = process
        return process is not None

    def repeat(self) -> bool:
        """Say the last text again (from its start)."""
        return self.speak(self.last_text, self.last_language)

    def stop(self) -> None:
        """Silence at once: the running utterance is killed, never left to finish."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)  # espeak-ng and any audio helper it started
        except (ProcessLookupError, PermissionError):
            process.kill()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:  # pragma: no cover - a kernel that does not reap
            log.warning("espeak-ng did not end after being killed")

    def forget(self) -> None:
        """End of a visit: silence, nothing of this visitor's screens kept, volume as at the start."""
        self.stop()
        self.last_text, self.last_language = "", "de"

    def to_wav(self, text: str, lang: str, path: Path, *, timeout: float = 30.0) -> bool:
        """Write the speech to a WAV file instead of the speaker (set-up check, tests)."""
        command = self._command(lang) + ["-w", str(path)]
        process = self._start(command, _bounded(text))
        if process is None:
            return False
        try:
            return process.wait(timeout=timeout) == 0
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return False

    # --- inside -------------------------------------------------------------------------------

    def _command(self, lang: str) -> list[str]:
        return [
            self.executable() or self.program,
            "-v", VOICES.get(lang, VOICES["de"]),
            "-a", str(self.amplitude),
            "-s", str(self.words_per_minute),
            "-b", "1",  # the text arrives as UTF-8
        ]

    def _start(self, command: list[str], text: str) -> subprocess.Popen[bytes] | None:
        if self.executable() is None:
            return None
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: stop() ends all of it
                close_fds=True,
            )
        except OSError as exc:
            log.warning("espeak-ng could not be started: %s", exc.strerror or exc)
            return None
        assert process.stdin is not None
        try:
            process.stdin.write(text.encode("utf-8"))
            process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        return process


def _within(value: object, low: int, high: int, default: int) -> int:
    """A setting from kiosk.toml as a whole number in its range (a typo there never stops the kiosk)."""
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        log.warning("speech setting %r is not a whole number; using %d", value, default)
        return default
    return max(low, min(high, number))


def _bounded(text: str) -> str:
    """One paragraph per line, control characters out, at most a screen's worth."""
    cleaned = "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)
    lines = [line.strip() for line in cleaned.splitlines()]
    return "\n".join(line for line in lines if line)[:MAX_CHARACTERS]


def reset_mixer_volume(percent: int, *, program: str = MIXER_PROGRAM) -> bool:
    """Set the sound card's master level back to ``percent`` for the next visitor.

    Runs ``amixer`` in the background and does not wait for it; False where it is missing (no
    sound card set up, or a helper's own computer).
    """
    executable = shutil.which(program)
    if executable is None:
        return False
    percent = _within(percent, 0, 100, 80)
    try:
        subprocess.Popen(
            [executable, "-q", "sset", "Master", f"{percent}%", "unmute"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.info("the volume could not be reset: %s", exc.strerror or exc)
        return False
    return True
