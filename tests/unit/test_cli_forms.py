"""``rathaus forms check`` and ``rathaus forms list``: one line per problem, honest exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "tests" / "vectors" / "forms"


def run(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_folder_of_good_definitions_passes(capsys):
    code, out, err = run(capsys, "forms", "check", str(VECTORS / "valid"))
    assert code == 0
    assert out == ["4 Formulardateien geprüft, keine Probleme."]
    assert err == ""


def test_the_shipped_services_pass_in_english_too(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, _ = run(capsys, "forms", "check", str(ROOT / "kiosk" / "forms" / "definitions"))
    assert (code, out) == (0, ["6 service definitions checked, no problems."])


def test_every_problem_is_one_line_file_field_reason_then_a_summary(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, err = run(capsys, "forms", "check", str(VECTORS / "broken"))
    assert code == 1 and err == ""
    files = sorted(path.name for path in (VECTORS / "broken").glob("*.toml"))
    problems, summary = out[:-1], out[-1]
    assert "unknown_key.toml: name: unknown key 'lable'; did you mean 'label'?" in problems
    assert "missing_id.toml: id: 'id' is missing" in problems
    assert "not_utf8.toml: the file is not saved as UTF-8 text; please save it again as UTF-8" in problems
    assert {line.split(":")[0] for line in problems} == set(files)
    assert summary == f"{len(problems)} problems in {len(files)} of {len(files)} files."


def test_only_the_broken_file_is_reported_among_good_ones(capsys, tmp_path):
    for path in (VECTORS / "valid").glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    shutil.copy(VECTORS / "broken" / "missing_german_label.toml", tmp_path)
    code, out, _ = run(capsys, "forms", "check", str(tmp_path))
    assert code == 1
    assert out == [
        "missing_german_label.toml: name: der deutsche Text fehlt (label.de)",
        "1 Problem in 1 von 5 Dateien.",
    ]


def test_a_missing_folder_is_one_plain_line_and_exit_code_1(capsys, tmp_path):
    code, out, err = run(capsys, "forms", "check", str(tmp_path / "gibt-es-nicht"))
    assert code == 1 and out == []
    assert err.strip().splitlines() == [
        f"rathaus forms check: Den Ordner {tmp_path / 'gibt-es-nicht'} gibt es nicht."
    ]
    assert "Traceback" not in err


def test_a_file_instead_of_a_folder_is_one_plain_line(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    target = VECTORS / "valid" / "minimal.toml"
    code, out, err = run(capsys, "forms", "check", str(target))
    assert code == 1 and out == []
    assert err.strip() == (
        f"rathaus forms check: {target} is a file, not a folder of service definitions."
    )


def test_an_empty_folder_is_a_problem(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, _ = run(capsys, "forms", "check", str(tmp_path))
    assert code == 1
    assert out[0] == f"{tmp_path}: there are no service definitions (*.toml files) in this folder"


def test_list_shows_the_shipped_services_in_start_screen_order(capsys):
    code, out, _ = run(capsys, "forms", "list")
    assert code == 0 and len(out) == 6
    assert out[0].split()[:3] == ["10", "termin_buergerbuero", "1.2"]
    assert "Termin im Bürgerbüro (höchstens 8 Fragen)" in out[0]
    assert [line.split()[1] for line in out][-1] == "hausnummer"


def test_list_counts_questions_as_the_kiosk_does_at_the_first_question(capsys):
    """A message asks for a reply by phone, e-mail or letter: one of the three, so the kiosk says
    "Frage 1 von höchstens 6", and the list must not say 8."""
    from kiosk.forms import load_forms
    from kiosk.forms.session import FormSession

    code, out, _ = run(capsys, "forms", "list")
    assert code == 0
    assert "Nachricht an das Rathaus (höchstens 6 Fragen)" in "\n".join(out)
    for form, line in zip(sorted(load_forms(None), key=lambda f: (f.order, f.id)), out):
        _number, most, certain = FormSession(form, "de").progress()
        assert line.endswith(f"({'' if certain else 'höchstens '}{most} Fragen)"), line


def test_list_of_a_folder_with_full_hashes(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, _ = run(capsys, "forms", "list", "--full-hash", str(VECTORS / "valid"))
    assert code == 0
    assert out[0].split()[:4] == [
        "1",
        "minimal",
        "1.0",
        "e4873b408dc398b1253ea4cf131d35bea85ee61c5532d975405741f791fe7e37",
    ]
    assert out[0].endswith("Short note (1 question)")


def test_list_of_a_broken_folder_names_the_first_problem(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, err = run(capsys, "forms", "list", str(VECTORS / "broken"))
    assert code == 1 and out == []
    assert err.startswith("rathaus forms: bad_date_limit.toml: visit_date: earliest 'tomorrow'")


def test_require_plain_counts_questions_without_plain_language(capsys, monkeypatch):
    monkeypatch.setenv("RATHAUS_LANG", "en")
    code, out, _err = run(capsys, "forms", "check", "--require-plain", str(VECTORS / "valid"))
    assert code == 1
    assert "plain_language.toml: phone: there is no plain-language text (plain.label and plain.help)" in out
    assert "minimal.toml: note: there is no plain-language text (plain.label and plain.help)" in out


def test_every_shipped_question_has_plain_language(capsys):
    shipped = ROOT / "kiosk" / "forms" / "definitions"
    code, out, _err = run(capsys, "forms", "check", "--require-plain", str(shipped))
    assert (code, out) == (0, ["6 Formulardateien geprüft, keine Probleme."])
