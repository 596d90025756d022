"""The small slips of what a learner reads (issue 19, "Text"): each test here failed before its
fix. Both languages where the text is translated."""

from __future__ import annotations

import asyncio
import re

import pytest

from gradstep.tui import i18n
from gradstep.tui.app import GradstepApp

from .conftest import settle
from .screen_text import screen_text


@pytest.fixture(params=["en", "pt"])
def lang(request):
    """Each language in turn, English again afterwards."""
    i18n.install(request.param)
    yield request.param
    i18n.install("en")


async def until(pilot, condition, timeout=30.0, what=""):
    """Let the app run until ``condition()`` holds (a generous timeout: a busy machine)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        assert loop.time() < end, what() if callable(what) else what
        await pilot.pause(0.02)


# -- the footer ------------------------------------------------------------------------------
def footer_words(screen) -> set[str]:
    """What the footer may end with: a key's description or a group's label, in full."""
    bindings = [b for _node, b, _enabled, _tip in screen.active_bindings.values() if b.show]
    return {b.description for b in bindings} | {b.group.description for b in bindings if b.group}


def footer_whole(app, width) -> bool:
    line = screen_text(app).splitlines()[-1].ljust(width)
    left, bar, right = line.partition("▏")
    palette = "^p " + i18n._("palette")
    if bar and right != palette:  # a letter of a hidden key after the palette's key
        return False
    shown = left.rstrip()
    return any(shown.endswith(" " + word) for word in footer_words(app.screen))


@pytest.mark.parametrize("width", [80, 100, 120, 160, 200])
async def test_the_footer_shows_whole_keys_only(lang, width):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: footer_whole(app, width),
                    what=lambda: repr(screen_text(app).splitlines()[-1]))


# -- the help --------------------------------------------------------------------------------
def help_lines(app) -> list[str]:
    """Every line of the help as drawn at its width (the whole scrolled text, not one page)."""
    import io

    from rich.console import Console

    lines = []
    for static in app.screen.query("#help Static"):
        console = Console(width=static.content_region.width, file=io.StringIO(), record=True)
        console.print(static.content)
        lines += console.export_text().splitlines()
    return lines


HEADINGS = ("Keys", "Symbols", "The equations of", "Where the tutorial", "Teclas", "Símbolos", "As equações",
            "Onde o tutorial")


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_help_lines_keep_their_indentation_when_they_wrap(lang, size):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=size) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        lines = help_lines(app)
        assert len(lines) > 40
        for line in lines:
            assert not line.strip() or line.startswith("  ") or line.startswith(HEADINGS), line


async def test_help_lines_do_not_name_their_own_key_again(lang):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        rows = [line.split(None, 1) for line in help_lines(app) if line.startswith("  ")]
        for words in rows:
            if len(words) == 2:
                key, sentence = words
                assert f"({key})" not in sentence and f"(also {key})" not in sentence, words
        text = "\n".join(help_lines(app))
        for key in ("backspace", "home", "end"):
            assert len(re.findall(rf"\b{key}\b", text)) == 1, key  # listed once, beside its sentence


async def test_help_says_how_to_switch_the_state_tabs(lang):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await settle(pilot)
        row = next(line for line in help_lines(app) if line.lstrip().startswith("tab ← →"))
        assert "V̂" in "\n".join(help_lines(app)) and "←" in row


def test_docs_keys_say_how_to_switch_the_state_tabs():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs/keys.md").read_text()
    line = next(line for line in text.splitlines() if "V̂" in line and "`tab`" in line)
    assert "←" in line and "→" in line


# -- notifications are plain text ------------------------------------------------------------
async def test_the_missing_matplotlib_note_shows_the_extra_s_name(lang, tmp_path, monkeypatch):
    """`pip install 'gradstep[plot]'` on screen, not `'gradstep'` (the `[plot]` read as markup)."""
    import sys

    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("space")
        await settle(pilot)
        await pilot.press("p")
        def toasts() -> str:  # what each notification shows, its lines joined
            return "\n".join(" ".join(str(toast.render()).split()) for toast in app.screen.query("Toast"))

        await until(pilot, lambda: "matplotlib" in toasts(), what=lambda: screen_text(app))
        assert "pip install 'gradstep[plot]'" in toasts(), toasts()


# -- plurals ---------------------------------------------------------------------------------
async def test_one_input_and_one_other_entry_are_singular_in_english():
    from .test_views import shown

    app = GradstepApp("sine-net")
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("space", "f"):
            await pilot.press(key)
            await settle(pilot)
        head = shown(app.screen, "#fit-head")
        assert "network 1 input →" in head and "1 inputs" not in head
    app = GradstepApp("adam-fabc")  # three parameters: a slice through two leaves one other
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("n", "s"):
            await pilot.press(key)
            await settle(pilot)
        info = shown(app.screen, "#surface-info")
        assert "the other entry stays at its step-10 value" in info and "1 entries" not in info


def test_english_plurals_differ_from_singulars():
    """Every ngettext of the interface and the engine has an English singular of its own."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    same = []
    for path in [*root.joinpath("tui").rglob("*.py"), *root.joinpath("engine").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ngettext":
                one, many = node.args[:2]
                if isinstance(one, ast.Constant) and isinstance(many, ast.Constant) and one.value == many.value:
                    if "{count} on a kink" not in one.value:  # "1 on a kink", "2 on a kink"
                        same.append(f"{path.relative_to(root)}:{node.lineno}")
    assert not same


# -- glyphs of exported SVGs -----------------------------------------------------------------
def fira_code() -> set[int]:
    """The code points of Fira Code 6.2, the font Rich's SVG export asks for (a committed list,
    read from the font's source: see the file's header)."""
    from pathlib import Path

    points = set()
    for line in (Path(__file__).resolve().parents[1] / "data/fira-code-6.2-coverage.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            low, _, high = line.partition("-")
            points.update(range(int(low, 16), int(high or low, 16) + 1))
    return points


def test_the_coverage_list_is_fira_codes():
    points = fira_code()
    assert {ord(c) for c in "azAZ09θ∂←→━─●"} <= points  # what the font is known for
    assert ord("⑂") not in points  # what came out as a missing glyph


async def test_the_timeline_after_a_branch_draws_only_glyphs_of_the_svg_font():
    from gradstep.tui.widgets.timeline import Timeline

    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("n", "n", "b", "b", "right_square_bracket", "space"):  # back, then a new course
            await pilot.press(key)
            await settle(pilot)
        timeline = app.screen.query_one(Timeline)
        assert timeline.branch is not None
        drawn = timeline.render().plain
        missing = sorted({c for c in drawn if ord(c) not in fira_code()})
        assert not missing, (missing, drawn)


# -- the step-0 hint -------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (160, 50)])
async def test_the_step_0_hint_is_whole(lang, size):
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        hint = i18n._("step 0: the initial parameters; g and the state come with step 1")
        await until(pilot, lambda: " ".join(hint.split()) in one_line(screen_text(app)),
                    what=lambda: screen_text(app))


def one_line(screen: str) -> str:
    """The screen's text with each panel's lines joined: the words of a wrapped sentence in a row
    (the borders and the other panels' text removed around the state panel's)."""
    words = []
    for line in screen.splitlines():
        cells = [c.strip() for c in re.split(r"[│║┃]", line) if c.strip()]
        words.extend(cells[-1:] if cells else [])
    return " ".join(" ".join(words).split())


# -- the open dialog -------------------------------------------------------------------------
async def test_the_open_dialog_filters_as_you_type_and_enter_opens_the_one_left(lang):
    from textual.widgets import OptionList

    from gradstep.tui.screens.dashboard import DashboardScreen
    from gradstep.tui.screens.open_scenario import OpenScenarioScreen

    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("space", "o")
        await settle(pilot)
        assert isinstance(app.screen, OpenScenarioScreen)
        options = app.screen.query_one("#choices", OptionList)
        everything = options.option_count
        await pilot.press("m", "o", "o")  # typed on the list: it goes to the box below it
        await settle(pilot)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels and all("moo" in label.casefold() for label in labels), labels
        assert options.option_count < everything
        assert any(label.startswith("moons") for label in labels)
        await pilot.press("n", "s")
        await settle(pilot)
        assert options.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.screen.scenario.name == "moons" and app.screen.session.t == 0


async def test_the_open_dialog_still_opens_a_typed_path(write_scenario):
    from textual.widgets import Input

    path = write_scenario("xor-like", kind="sgd", lr=0.01)  # its name is a bundled one's too
    app = GradstepApp("adam-fabc")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("o")
        await settle(pilot)
        box = app.screen.query_one("#path", Input)
        box.focus()
        box.value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.scenario.name == "xor-like" and app.screen.session.optimizer_kind == "sgd"


# -- one number format ------------------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.^(√·])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])")


def follows_the_rule(token: str) -> bool:
    """docs/keys.md, "How numbers are written": four significant digits (fewer only when a cell
    is too narrow, then with an exponent), fixed point for 0.001 <= |x| < 10000, else scientific."""
    value = abs(float(token))
    digits = token.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    if value == 0:
        return token == "0"
    if "e" in token:  # fewer digits only in a token a cell's width had to shorten
        shortened = len(token) >= 9 and len(digits) in (2, 3)
        return not 1e-3 <= value < 1e4 and (len(digits) == 4 or shortened) and token.lstrip("-")[1] == "."
    return 1e-3 <= value < 1e4 and len(digits) == 4


def test_the_rule_itself():
    good = ["0.5312", "41.33", "1903", "-0.001234", "1.235e4", "-1.300e6", "1.234e-5", "-4.56e-18", "0"]
    bad = ["71485", "-1.3e6", "2.5e12", "0.5", "12346"]
    assert all(follows_the_rule(t) for t in good) and not any(follows_the_rule(t) for t in bad)


async def test_the_gradient_and_state_panels_write_every_number_alike():
    """gd-fabc-large-lr: b's gradient and update grow past 10⁴ while a's shrink below 10⁻³."""
    from gradstep.tui.widgets.equations_view import EquationsView
    from gradstep.tui.widgets.layer_list import LayerList
    from gradstep.tui.widgets.matrix_view import MatrixView
    from gradstep.tui.widgets.state_table import StateTable

    app = GradstepApp("gd-fabc-large-lr")
    async with app.run_test(size=(160, 50)) as pilot:
        tokens = set()
        for key in ("n", "n", "n", "N"):  # N runs into the divergence, which stops it
            await pilot.press(key)
            await settle(pilot)
            for widget in [*app.screen.query(StateTable), *app.screen.query(MatrixView), *app.screen.query(LayerList)]:
                if widget.display:
                    for line in widget.render().plain.splitlines():
                        tokens.update(NUMBER.findall(line.split("|max|")[-1]))
            for line, result in app.screen.query_one(EquationsView).lines:
                tokens.update(t for t in [result] if t)
        assert any(abs(float(t)) >= 1e4 for t in tokens), tokens  # the large numbers were there
        assert sorted(t for t in tokens if not follows_the_rule(t)) == []
