"""The interface in Brazilian Portuguese (issue 8): footer, help, views, dialogs and the palette.

The Portuguese expected here is written out by hand (what a learner reads), not read back from
the catalog; the English is the interface's source text. Each test installs the language it
needs and the fixture puts English back, so the other tests (and the English snapshots) never
see Portuguese.
"""

from __future__ import annotations

import gettext

import pytest
from textual.command import CommandInput, CommandList
from textual.widgets import Input, Label, Static
from textual.widgets._footer import FooterKey, FooterLabel

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import settle

SIZE = (120, 40)


@pytest.fixture
def portuguese():
    """Portuguese for the test, English again afterwards (whatever the test did)."""
    i18n.install("pt")
    yield
    i18n.install("en")


def footer(screen) -> list[str]:
    """Every word of the footer: each key's description and each group's label."""
    words = [key.description for key in screen.query(FooterKey)]
    return words + [str(label.render()) for label in screen.query(FooterLabel)]


def text_of(screen, selector: str) -> str:
    """A Static's text (rendered wide enough that no sentence wraps: the help is a table)."""
    import io

    from rich.console import Console

    console = Console(width=400, file=io.StringIO(), record=True)
    console.print(screen.query_one(selector, Static).content)
    return " ".join(line.strip() for line in console.export_text().splitlines())


async def press(pilot, *keys: str) -> None:
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


async def test_the_dashboard_footer_speaks_portuguese(portuguese):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        words = footer(app.screen)
        assert "cadeia" in words and "paleta" in words, words  # the app's bindings
        # The dashboard's own: DashboardScreen.__init__ calls translate_bindings(self).
        assert "passo" in words and "ajuda" in words and "sair" in words, words


async def test_the_dashboard_help_and_views_speak_portuguese(portuguese):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#state").border_title == "Adam: estado — a, b, c, t = 0"
        assert app.screen.query_one("#gradient").border_title == "gradiente ∂L/∂θ — a, b, c"

        await press(pilot, "space", "question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
        keys = text_of(app.screen, "#keys")
        assert "Teclas" in keys
        assert "dar um passo de treino" in keys
        assert "dobrar a taxa de aprendizado α" in keys
        assert "A matemática (escape ou q volta ao painel principal):" in keys
        equations = text_of(app.screen, "#equations")
        assert "As equações de Adam, no passo t, para cada parâmetro θ" in equations
        # The mathematics keeps the tutorial's symbols.
        assert "V = β1·V + (1−β1)·g" in equations and "primeiro momento" in equations
        assert "Símbolos" in equations
        assert app.screen.query_one("#help").border_title == "ajuda — escape fecha"
        assert "V usa só g:" in text_of(app.screen, "#corrections")

        await press(pilot, "escape", "c")
        assert type(app.screen).__name__ == "ChainView"
        head = text_of(app.screen, "#chain-head")
        assert head == "regra da cadeia para ∂L/∂a — passo 1; ← → outro elemento"
        words = footer(app.screen)
        assert "voltar" in words and "passo" in words and "rodar" in words, words

        await press(pilot, "f")
        assert app.screen.query_one("#fit-box").border_title == "ajuste do modelo"
        assert "Este cenário minimiza diretamente uma função" in text_of(app.screen, "#fit-none")


async def test_the_dialogs_speak_portuguese(portuguese):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await press(pilot, "colon")
        assert app.screen.query_one("#dialog").border_title == "ir para o passo"
        app.screen.query_one("#step", Input).value = "7"
        await press(pilot, "enter")
        problem = text_of(app.screen, "#problem")
        assert problem == ("o passo 7 ainda não foi calculado (o último é 0): chegue lá com espaço, "
                           "n ou r")
        await press(pilot, "escape", "o")
        assert app.screen.query_one("#dialog").border_title == "abrir um cenário"
        labels = [str(label.render()) for label in app.screen.query(Label)]
        assert "digite para filtrar a lista, ou digite um caminho, e tecle enter:" in labels
        await press(pilot, "escape", "space", "e")
        assert app.screen.query_one("#dialog").border_title == "exportar o registro"
        app.screen.query_one("#path", Input).value = "trace.txt"
        await press(pilot, "enter")
        assert text_of(app.screen, "#problem") == ("o nome do arquivo deve terminar em .jsonl (JSON lines) "
                                                  "ou .csv, não '.txt'")


async def test_back_in_english_everything_is_english_again():
    i18n.install("pt")
    i18n.install("en")
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        words = footer(app.screen)
        assert "step" in words and "help" in words and "chain" in words, words
        assert "passo" not in words and "ajuda" not in words
        await press(pilot, "space", "question_mark")
        keys = text_of(app.screen, "#keys")
        assert "Keys" in keys and "take one training step" in keys and "Teclas" not in keys
        await press(pilot, "escape", "c")
        assert text_of(app.screen, "#chain-head") == "chain rule for ∂L/∂a — step 1; ← → another entry"


async def test_the_palette_lists_translated_commands(portuguese):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {command.title: command.help for command in app.get_system_commands(app.screen)}
        assert titles["passo (space)"] == "dar um passo de treino"
        assert titles["ajuda (?)"] == "esta ajuda"
        assert titles["cadeia (c)"].startswith("regra da cadeia:")
        # Textual's own commands.
        assert titles["Tema"] == "Mudar o tema atual"
        assert titles["Sair"] == "Sair do aplicativo o quanto antes"
        assert "Captura de tela" in titles and "Theme" not in titles and "Quit" not in titles

        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        palette = app.screen
        assert palette.query_one(CommandInput).placeholder == "Buscar comandos…"
        commands = palette.query_one(CommandList)
        shown = [str(commands.get_option_at_index(i).prompt).split("\n")[0]
                 for i in range(commands.option_count)]
        assert "Tema" in shown and "ajuda (?)" in shown and "abrir (o)" in shown, shown


def test_every_key_and_table_of_the_interface_has_a_portuguese_entry():
    """Binding descriptions and the module-level tables are translated where they are shown, so
    the catalog must hold each of them (an entry missing here is English on a Portuguese screen)."""
    from gradstep.engine.optim import OPTIMIZER_TITLES
    from gradstep.tui.equations import TUTORIAL_CORRECTIONS
    from gradstep.tui.screens import (chain_view, error_dialog, export_dialog, fit_view, gradcheck_view, graph_view,
                             help, jump_dialog, math_view, neurons_view, open_scenario, race_view, surface_view)
    from textual.app import App
    from textual.containers import VerticalScroll
    from textual.screen import Screen
    from textual.widgets import Button, DataTable, OptionList

    from gradstep.tui.widgets.state_table import StateTable

    catalog = gettext.translation(i18n.DOMAIN, i18n.LOCALE_DIR, languages=["pt_BR"])
    classes = [GradstepApp, help.HelpScreen, open_scenario.OpenScenarioScreen, error_dialog.ErrorDialog,
               export_dialog.ExportDialog, jump_dialog.JumpDialog, math_view.MathView,
               chain_view.ChainView, gradcheck_view.GradCheckView, fit_view.FitView,
               surface_view.SurfaceView, race_view.RaceView, graph_view.GraphView, neurons_view.NeuronsView,
               StateTable,
               # Textual's, in the keys panel of gradstep's screens
               App, Screen, Input, DataTable, OptionList, VerticalScroll, Button]
    texts = set()
    for cls in classes:
        for binding in cls.BINDINGS + getattr(cls, "STEPS_BINDINGS", []):
            texts |= {binding.description, binding.tooltip}
            if binding.group is not None:
                texts.add(binding.group.description)
    texts |= set(help.KEY_HELP.values()) | {meaning for _symbol, meaning in help.SYMBOLS}
    texts |= {text for pair in TUTORIAL_CORRECTIONS for text in pair}
    texts |= {title for title in OPTIMIZER_TITLES.values() if " " in title}  # not the bare names
    missing = sorted(text for text in texts if text and text not in catalog._catalog)
    assert not missing, missing
