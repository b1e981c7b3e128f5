"""Reading aloud with espeak-ng as a program: speech that can be heard, stopped at once, and a
plain answer where espeak-ng is missing."""

from __future__ import annotations

import array
import math
import os
import shutil
import stat
import time
import wave

import pytest

from kiosk.forms import load_forms
from kiosk.speech import MAX_CHARACTERS, Speaker, reset_mixer_volume
from kiosk.visit import MORE_TIME_FACTOR, Visit

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs Debian package espeak-ng")


def rms(path) -> float:
    with wave.open(str(path), "rb") as sound:
        assert sound.getsampwidth() == 2
        samples = array.array("h", sound.readframes(sound.getnframes()))
    assert samples
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@needs_espeak
@pytest.mark.parametrize("lang, text", [("de", "Wann sind Sie geboren?"), ("en", "When were you born?")])
def test_speech_to_a_wav_file_is_not_silent(tmp_path, lang, text):
    path = tmp_path / f"{lang}.wav"
    assert Speaker().to_wav(text, lang, path)
    assert rms(path) > 300
    with wave.open(str(path), "rb") as sound:
        assert sound.getnframes() / sound.getframerate() > 0.5  # words, not a click


@needs_espeak
def test_the_amplitude_from_the_settings_makes_it_louder(tmp_path):
    quiet, loud = tmp_path / "quiet.wav", tmp_path / "loud.wav"
    assert Speaker(amplitude=20).to_wav("Guten Tag", "de", quiet)
    assert Speaker(amplitude=180).to_wav("Guten Tag", "de", loud)
    assert rms(loud) > 3 * rms(quiet)


@pytest.fixture
def no_espeak(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_without_espeak_nothing_is_started_and_the_caller_is_told(no_espeak, tmp_path):
    speaker = Speaker()
    assert not speaker.available
    assert speaker.speak("Hallo", "de") is False
    assert not speaker.speaking
    assert speaker.to_wav("Hallo", "de", tmp_path / "x.wav") is False
    assert reset_mixer_volume(80) is False


def fake_program(tmp_path, monkeypatch, name: str, script: str):
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    program = folder / name
    program.write_text("#!/bin/sh\n" + script)
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return folder


def test_stop_kills_a_long_utterance_at_once_and_the_text_goes_in_through_stdin(tmp_path, monkeypatch):
    folder = fake_program(tmp_path, monkeypatch, "espeak-ng", f'echo "$@" > {tmp_path}/args\ncat > {tmp_path}/said\nsleep 30\n')
    speaker = Speaker(amplitude=130)
    started = time.monotonic()
    assert speaker.speak("Frage: Wie heißen Sie?\x1b[31m", "de")
    assert time.monotonic() - started < 1  # never waits for the speech
    for _ in range(100):
        if (tmp_path / "said").exists() and (tmp_path / "said").read_text():
            break
        time.sleep(0.02)
    assert speaker.speaking
    speaker.stop()
    assert not speaker.speaking
    assert (tmp_path / "said").read_text(encoding="utf-8") == "Frage: Wie heißen Sie? [31m"  # no escape code
    args = (tmp_path / "args").read_text().split()
    assert args[:4] == ["-v", "de", "-a", "130"]  # German voice, the configured loudness
    assert "Wie" not in " ".join(args)  # the words are not in the process list
    assert folder.exists()


def test_a_screen_full_is_the_most_that_is_spoken(tmp_path, monkeypatch):
    fake_program(tmp_path, monkeypatch, "espeak-ng", f"cat > {tmp_path}/said\n")
    speaker = Speaker()
    speaker.speak("Wort " * 5000, "en")
    for _ in range(100):
        if not speaker.speaking:
            break
        time.sleep(0.02)
    assert len((tmp_path / "said").read_text()) == MAX_CHARACTERS
    assert speaker.repeat()  # the last text again


def test_the_volume_is_set_back_with_amixer(tmp_path, monkeypatch):
    fake_program(tmp_path, monkeypatch, "amixer", f'echo "$@" > {tmp_path}/mixer\n')
    assert reset_mixer_volume(75)
    for _ in range(100):
        if (tmp_path / "mixer").exists():
            break
        time.sleep(0.02)
    assert (tmp_path / "mixer").read_text().split() == ["-q", "sset", "Master", "75%", "unmute"]


def test_a_visit_forgets_everything_at_its_end():
    forms = {form.id: form for form in load_forms()}
    name_here = forms["nachricht"].field("name")
    name_there = forms["termin_buergerbuero"].field("name")
    child = forms["kita_erstattung"].field("child_name")  # someone else's name: never offered
    visit = Visit(plain_language=True, large_text=True, more_time=True)
    assert visit.time_factor == MORE_TIME_FACTOR == 10
    visit.remember(name_here, "Zacharias Quimby")
    visit.remember(child, "Emil Quimby")
    assert visit.offer(name_there) == "Zacharias Quimby"
    assert visit.offer(child) is None
    visit.end()
    assert visit == Visit()
    assert visit.offer(name_there) is None


def test_a_mistyped_setting_falls_back_to_the_default():
    assert Speaker(amplitude="laut").amplitude == 100
    assert Speaker(amplitude=500).amplitude == 200
