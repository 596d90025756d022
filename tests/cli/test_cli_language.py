"""The command line speaks the language asked for: --lang, else the locale, else English.

Expected Portuguese is written here by hand; it is the reference the catalog must produce.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.tui.cli import main
from gradstep.tui.i18n import choose_language


def gradstep(*args, env=None):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "gradstep.tui.cli", *args], capture_output=True, text=True,
                          env=full_env, timeout=60)


@pytest.mark.parametrize("environ, expected", [
    ({}, "en"),
    ({"LANG": "pt_BR.UTF-8"}, "pt"),
    ({"LANG": "pt_PT.UTF-8"}, "pt"),
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"LANGUAGE": "en_GB:pt_BR", "LANG": "pt_BR.UTF-8"}, "en"),   # LANGUAGE comes first
    ({"LC_ALL": "pt_BR.UTF-8", "LANG": "en_US.UTF-8"}, "pt"),
    ({"LANGUAGE": "", "LANG": "pt_BR"}, "pt"),                    # an empty variable is unset
])
def test_the_language_comes_from_the_environment(environ, expected):
    assert choose_language(None, environ) == expected
    assert choose_language("en", environ) == "en"


def test_help_in_portuguese_with_lang(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--lang", "pt", "run", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: gradstep run ")
    assert "Treina um cenário sem tela e escreve um registro por passo." in out
    assert "mostra esta ajuda e sai" in out
    assert "opções:" in out and "options:" not in out


def test_locale_chooses_portuguese_and_lang_overrides_it():
    pt = gradstep("list", env={"LANG": "pt_BR.UTF-8"})
    assert pt.returncode == 0
    rows = {line.split()[0]: line for line in pt.stdout.splitlines()}
    assert rows["rosenbrock"].endswith("Adam no vale curvo de Rosenbrock, f(x,y) = (1-x)² + 100(y-x²)²")
    en = gradstep("list", "--lang", "en", env={"LANG": "pt_BR.UTF-8"})
    rows = {line.split()[0]: line for line in en.stdout.splitlines()}
    english = load_scenario(resolve_scenario("rosenbrock")).description
    assert rows["rosenbrock"].endswith(english) and "vale curvo" not in en.stdout


def test_errors_of_the_parser_and_the_loader_in_portuguese(tmp_path):
    done = gradstep("--lang", "pt", "run")
    assert done.returncode == 2
    assert "gradstep run: erro: faltam os argumentos: CENÁRIO" in done.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[objective]\nexpression = "a"\nparams = { a = 1.0 }\n'
                   '[optimizer]\nkind = "adam"\nlr = -1\n')
    done = gradstep("run", str(bad), "--lang", "pt")
    assert done.returncode == 2
    line, = done.stderr.splitlines()
    assert line.startswith(f"gradstep: {bad}:7: optimizer.lr: ")
    assert "fora do intervalo" in line


def test_the_summary_line_in_portuguese():
    done = gradstep("run", "gd-fabc", "--steps", "3", "--quiet", env={"LANG": "pt_BR.UTF-8"})
    assert done.returncode == 0
    assert done.stderr.startswith("gd-fabc: 3 passos, perda ")
    assert "passos/s" in done.stderr


def hand_sgd_loss_after_two_steps() -> float:
    """gd-fabc by hand: SGD (α 0.04) on (a − 1)² + 10(b + 2)² + c² from (0, 0, 1), two steps."""
    a, b, c = 0.0, 0.0, 1.0
    for _ in range(2):
        a, b, c = a - 0.04 * 2 * (a - 1), b - 0.04 * 20 * (b + 2), c - 0.04 * 2 * c
    return (a - 1) ** 2 + 10 * (b + 2) ** 2 + c ** 2


@pytest.mark.parametrize("lang, words", [("en", "3 steps, loss"), ("pt", "3 passos, perda")])
def test_the_summary_line_says_which_parameters_its_loss_is_at(lang, words):
    """Step 3's loss is evaluated before step 3's update, at θ₂, as the dashboard says."""
    done = gradstep("run", "gd-fabc", "--steps", "3", "--quiet", "--lang", lang)
    assert done.returncode == 0
    assert done.stderr.startswith(f"gd-fabc: {words} L(θ₂) = {hand_sgd_loss_after_two_steps():.6g}, ")


def test_an_unknown_language_is_refused():
    done = gradstep("--lang", "fr", "list")
    assert done.returncode == 2
    assert "invalid choice: 'fr'" in done.stderr
