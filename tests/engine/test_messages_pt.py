"""The engine's messages in Brazilian Portuguese (issue 8), and a translation for every one.

The Portuguese texts written here are the reference: each was read and checked by a person,
not copied from the catalog. Every message still names its file, line and key.
"""

import re
import warnings
from pathlib import Path

import pytest

from gradstep.engine.errors import ScenarioError
from gradstep.engine.scenario import load_scenario, loads_scenario
from gradstep.engine.training.session import Diverged, Session
from tests.i18n_sources import (load_catalog, marked_messages, misuses, placeholder_mismatches,
                                untranslated)
from gradstep.tui.i18n import install

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


@pytest.fixture
def portuguese(request):
    install("pt")
    request.addfinalizer(lambda: install("en"))


# (bad file, key, message in Portuguese); the line is the file's own `# expect-line:`
PORTUGUESE = [
    ("misspelled-beta1", "optimizer.betta1",
     "chave desconhecida `betta1` em [optimizer]; você quis dizer `beta1`? (esperava-se uma "
     "destas: kind, lr, beta1, beta2, eps, weight_decay, label)"),
    ("missing-name", "name", "falta `name` no nível principal (esperava-se um texto)"),
    ("beta1-one", "optimizer.beta1",
     "fora do intervalo (esperava-se um número em [0, 1), mas veio 1)"),
    ("rho-with-adam", "optimizer.rho",
     "adam não tem o hiperparâmetro `rho` (adam aceita: lr, beta1, beta2, eps, weight_decay; "
     "além de `label`)"),
    ("expression-unknown-name", "objective.expression",
     "nome desconhecido `bb`; você quis dizer `b`? (nomes conhecidos: a, b; constantes: pi, e) "
     "(na coluna 21)"),
    ("expression-wrong-arity", "objective.expression",
     "max() aceita 2 argumentos (foram dados 1) (na coluna 1)"),
    ("y-vs-outputs", "model.layers",
     "a última camada tem 2 unidades, mas os dados têm 1 coluna-alvo"),
    ("inline-nan", "data.y",
     "a lista contém nan na posição [1] (esperavam-se números finitos)"),
    ("description-pt-two-lines", "description_pt",
     "a descrição tem uma linha só (use `notes_pt` para textos maiores)"),
    ("toml-syntax", None, "TOML inválido: Valor inválido (coluna 14)"),
]


def _line(path):
    m = re.search(r"^# expect-line: (\d+)$", path.read_text(), re.M)
    return int(m.group(1)) if m else None


@pytest.mark.parametrize("stem, key, message", PORTUGUESE, ids=[c[0] for c in PORTUGUESE])
def test_bad_file_in_portuguese(portuguese, stem, key, message):
    path = BAD / f"{stem}.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    err = info.value
    line = _line(path)
    assert err.message == message
    assert (err.file, err.line, err.key) == (str(path), line, key)
    where = f"{path}:{line}" if line else str(path)
    assert str(err) == ": ".join(p for p in (where, key, message) if p)


def test_a_csv_error_names_the_csv_file_in_portuguese(portuguese):
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / "csv-not-a-number.toml")
    csv = BAD / "csv-not-a-number.csv"
    assert str(info.value) == f"{csv}:4: data.csv: coluna `x`: 'two' não é um número finito"


def test_english_comes_back():
    path = BAD / "misspelled-beta1.toml"
    install("pt")
    try:
        with pytest.raises(ScenarioError, match="chave desconhecida"):
            load_scenario(path)
    finally:
        install("en")
    expect = re.search(r"^# expect: (.+)$", path.read_text(), re.M).group(1)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert expect in str(info.value)


def _objective(expression, params, lr, kind="sgd"):
    return loads_scenario(f'name = "x"\n[objective]\nexpression = "{expression}"\n'
                          f'params = {{ {params} }}\n[optimizer]\nkind = "{kind}"\nlr = {lr}\n')


def _diverge(scenario):
    session = Session(scenario)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning may escape
        with pytest.raises(Diverged) as info:
            session.run(100)
    return info.value


def test_divergence_explained_in_portuguese(portuguese):
    # b = 0.5: d/db log(b) = 2, so one step of lr 1 takes b to -1.5 and step 2 takes its log.
    exc = _diverge(_objective("log(b) + (a - 1)**2", "a = 0.0, b = 0.5", 1.0))
    assert exc.message == ("divergiu no passo 2: log de um valor negativo em log(b); tente uma "
                           "taxa de aprendizado menor")
    # exp(700)**2 overflows float64: Adam's S (a running mean of g²) is the first to go.
    exc = _diverge(_objective("exp(a)", "a = 700.0", 1.0, kind="adam"))
    assert exc.message == ("divergiu no passo 1: o estado S do adam estourou no parâmetro a; "
                           "tente uma taxa de aprendizado menor")


def test_learning_rate_refused_in_portuguese(portuguese):
    session = Session(_objective("(a - 1)**2", "a = 0.0", 0.1))
    with pytest.raises(ValueError) as info:
        session.set_lr(float("inf"))
    assert str(info.value) == ("a taxa de aprendizado deve ser um número positivo e finito, mas "
                               "veio inf")


# -- every marked message has a translation ----------------------------------------------------
def test_the_extractor_finds_marked_messages_and_misuses(tmp_path):
    (tmp_path / "m.py").write_text(
        'from gradstep.engine.i18n import N_, _, ngettext\n'
        'A = N_("kept as data")\n'
        'def f(n, v):\n'
        '    _("one {name}").format(name=v)\n'
        '    ngettext("{n} row", "{n} rows", n)\n'
        '    _(A)\n'
        '    _(f"bad {v}")\n'
        '    _("also {}".format(v))\n'
        '    _("positional {}")\n')
    found = [(m.msgid, m.plural, m.line) for m in marked_messages([tmp_path])]
    assert found == [("kept as data", None, 2), ("one {name}", None, 4),
                     ("{n} row", "{n} rows", 5), ("positional {}", None, 9)]
    problems = misuses([tmp_path])
    assert [p.split(": ", 1)[1] for p in problems] == [
        "an f-string inside _()", ".format() inside _(); format the result",
        "positional placeholder in 'positional {}'"]


def test_the_engine_marks_its_messages_correctly():
    assert misuses(["engine"]) == []
    assert len(marked_messages(["engine"])) > 150


def test_every_engine_message_has_a_portuguese_translation():
    missing = untranslated(marked_messages(["engine"]), load_catalog())
    assert missing == [], "\n".join(f"{m.path}:{m.line}: {m.msgid!r}" for m in missing)


def test_translations_keep_the_placeholders():
    assert placeholder_mismatches(marked_messages(["engine"]), load_catalog()) == []


@pytest.mark.parametrize("text, shown", [
    ("a = 1\na = 2\n", "f.toml:2: TOML inválido: Não é possível sobrescrever um valor (coluna 6)"),
    ("a = [1, 2\n", "f.toml: TOML inválido: Lista não fechada no fim do arquivo"),
    ("[a\n", "f.toml:1: TOML inválido: Esperava-se ']' no fim da declaração de uma tabela (coluna 3)"),
    ('a = "x\x01"\n', "f.toml:1: TOML inválido: Caractere proibido '\\x01' (coluna 7)"),
    ("a = 1 b\n", "f.toml:1: TOML inválido: Esperava-se uma quebra de linha ou o fim do documento "
                  "depois de uma instrução (coluna 7)"),
])
def test_tomllib_syntax_errors_are_translated_with_their_variable_parts(portuguese, text, shown):
    """tomllib writes English; each of its messages is recognised by a pattern derived from its
    template, and the parts that vary (a character, a key) are carried into the translation."""
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, path="f.toml")
    assert str(info.value) == shown
