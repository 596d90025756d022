"""Lesson files: the bundled lessons load in both languages and mirror each other; a bad
lesson gets the scenario loader's one-line error; a page's conditions mean what they say."""

import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario, resolve_scenario
from gradstep.engine.scenario.lesson import Until, bundled_lessons, load_lesson, loads_lesson, resolve_lesson
from gradstep.engine.training.session import Diverged, Session

ENGLISH = bundled_lessons("en")
PORTUGUESE = bundled_lessons("pt")


def test_the_tutorials_four_chapters_in_both_languages():
    assert [name for name, _ in ENGLISH] == ["1-loss", "2-gradient-descent", "3-backpropagation", "4-adam"]
    assert [name for name, _ in PORTUGUESE] == [name for name, _ in ENGLISH]


@pytest.mark.parametrize("index", range(4))
def test_each_lesson_loads_and_the_portuguese_mirrors_the_english(index):
    english, portuguese = load_lesson(ENGLISH[index][1]), load_lesson(PORTUGUESE[index][1])
    assert english.chapter == portuguese.chapter == index + 1
    assert english.scenario == portuguese.scenario
    assert len(english.pages) == len(portuguese.pages) >= 4
    for en, pt in zip(english.pages, portuguese.pages):
        assert (en.until, en.scenario) == (pt.until, pt.scenario)  # the same checks, the same scenarios
        assert en.text != pt.text and en.do != pt.do or not en.do
    load_scenario(english.scenario)
    for page in english.pages:
        if page.scenario is not None:
            load_scenario(page.scenario)


def reachable(session, until, steps=5000):
    """Whether stepping ``session`` reaches ``until`` (its step, loss and divergence), as a
    learner pressing space would; the view is taken to be the one asked for."""
    for _ in range(steps):
        loss = session.record.loss if session.t else None
        if until.holds(step=session.t, loss=loss, lr=session.hyper["lr"], view=until.view or "dashboard",
                       diverged=False):
            return True
        try:
            session.step()
        except Diverged:
            return until.diverged is True
    return False


@pytest.mark.parametrize("index", range(4))
def test_every_check_of_a_bundled_lesson_can_be_reached(index):
    lesson = load_lesson(ENGLISH[index][1])
    scenario = lesson.scenario
    for page in lesson.pages:
        scenario = page.scenario or scenario
        if page.until is None or page.until.lr_below is not None:
            continue  # the learner goes on, or halves the rate with [ (a key, not a step)
        assert reachable(Session(load_scenario(scenario)), page.until), page.text[:60]


def test_conditions_hold_as_written():
    state = dict(step=5, loss=0.2, lr=0.1, view="dashboard", diverged=False)
    assert Until(step=5).holds(**state) and not Until(step=6).holds(**state)
    assert Until(loss_below=0.25).holds(**state) and not Until(loss_below=0.2).holds(**state)
    assert Until(loss_above=0.1).holds(**state) and not Until(loss_above=0.2).holds(**state)
    assert Until(lr_below=0.2).holds(**state) and not Until(lr_above=0.1).holds(**state)
    assert Until(view="dashboard").holds(**state) and not Until(view="chain").holds(**state)
    assert Until(diverged=False).holds(**state) and not Until(diverged=True).holds(**state)
    assert not Until(step=1, view="chain").holds(**state)  # every condition must hold
    assert not Until(loss_below=1.0).holds(**{**state, "loss": None})  # no loss yet: not reached


LESSON = '''title = "t"
chapter = 1
scenario = "gd-fabc"

[[page]]
text = "one"
{extra}
'''


@pytest.mark.parametrize("extra, line, key, words", [
    ('[page.until]\nstpe = 3', 8, "page[0].until.stpe", "did you mean `step`"),
    ('[page.until]', 7, "page[0].until", "never holds"),
    ('[page.until]\nview = "chian"', 8, "page[0].until.view", "did you mean `chain`"),
    ('[page.until]\nstep = -1', 8, "page[0].until.step", "out of range"),
    ('scenario = "nowhere"', 7, "page[0].scenario", "no bundled scenario named `nowhere`"),
    ('do = "two\\nlines"', 7, "page[0].do", "one line"),
    ('eval = "__import__(\\"os\\")"', 7, "page[0].eval", "unknown key `eval`"),
    ('do = "\\u001b[2J"', 7, "page[0].do", "control character"),
])
def test_a_bad_lesson_gets_one_line_naming_file_line_and_key(tmp_path, extra, line, key, words):
    path = tmp_path / "bad.toml"
    path.write_text(LESSON.format(extra=extra))
    with pytest.raises(ScenarioError) as info:
        load_lesson(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}: {key}: "), message
    assert words in message and "\n" not in message


def test_a_lesson_may_name_a_scenario_beside_it(tmp_path):
    (tmp_path / "mine.toml").write_text(resolve_scenario("gd-fabc").read_text())
    path = tmp_path / "lesson.toml"
    path.write_text(LESSON.format(extra="").replace('"gd-fabc"', '"mine.toml"'))
    assert load_lesson(path).scenario == tmp_path / "mine.toml"


def test_resolving_a_lesson():
    assert resolve_lesson(None) == ENGLISH[0][1]
    assert resolve_lesson("2") == ENGLISH[1][1]
    assert resolve_lesson("4-adam", "pt") == PORTUGUESE[3][1]
    with pytest.raises(ScenarioError, match="no lesson file or bundled lesson named `9`"):
        resolve_lesson("9")
    assert loads_lesson(LESSON.format(extra="")).pages[0].text == "one"
