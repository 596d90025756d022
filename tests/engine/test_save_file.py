"""Save files (issue 18): a session saved and resumed gives every record of a straight run bit
for bit; a damaged, truncated, hostile or foreign file is one line naming the file and key.

The reference for every comparison is a second session trained straight through with the same
changes of course (the engine is deterministic), never the save code's own output.
"""

import io
import json
import random
import shutil
import struct
import zipfile

import numpy as np
import pytest

from gradstep.engine import memory
from gradstep.engine.errors import ScenarioError
from gradstep.engine.training import save_file
from gradstep.engine.training.save_file import SaveFileError
from tests.engine.sessions import bundled

SCENARIOS = ["adam-fabc", "moons"]  # an objective; a network with shuffled minibatches


def same(a, b):
    """Bit for bit: the same dtype, shape and bytes."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def same_record(a, b):
    assert a.step == b.step
    assert struct.pack("<d", a.loss) == struct.pack("<d", b.loss)
    assert a.optimizer == b.optimizer and dict(a.hyper) == dict(b.hyper)
    for field in ("theta", "grad", "delta"):
        assert same(getattr(a, field), getattr(b, field)), (a.step, field)
    assert a.opt_state.keys() == b.opt_state.keys()
    for name, value in a.opt_state.items():
        assert same(value, b.opt_state[name]) if isinstance(value, np.ndarray) else value == b.opt_state[name]


def branched(name):
    """Trained to 40, back to 15, ``]`` (α×2) there (a branch made in the past), 20 more steps,
    then a switch to SGD and 5 more: furthest 40, standing at 30."""
    session = bundled(name)
    session.run(40)
    session.goto(15)
    session.set_lr(session.hyper["lr"] * 2)
    session.run(20)
    session.set_optimizer("sgd", 0.01)
    session.run(5)
    session.goto(30)
    return session


def straight(name):
    """The same course taken straight through, every record kept: {step: record}."""
    session = bundled(name)
    records = {}

    def take(n):
        for _n in range(n):
            record = session.step()
            records[record.step] = record

    take(15)
    session.set_lr(session.hyper["lr"] * 2)
    take(20)
    session.set_optimizer("sgd", 0.01)
    take(5)
    return session, records


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_resumed_session_has_every_record_of_a_straight_run(name, tmp_path):
    path = tmp_path / "run.gradstep"
    save_file.save(branched(name), path)
    resumed = save_file.load(path, history_options={"record_bytes": 1 << 14})  # most steps replayed
    _session, records = straight(name)
    assert (resumed.t, resumed.furthest) == (30, 40)
    same_record(resumed.record, records[30])
    for step in range(1, 41):
        same_record(resumed.goto(step), records[step])


@pytest.mark.parametrize("name", SCENARIOS)
def test_resume_then_n_more_equals_a_straight_run_of_the_total(name, tmp_path):
    first = bundled(name)
    first.run(25)
    path = tmp_path / "half.gradstep"
    save_file.save(first, path)
    resumed = save_file.load(path)
    reference = bundled(name)
    reference.run(25)
    for _n in range(12):
        same_record(resumed.step(), reference.step())
    assert resumed.t == 37


def test_a_save_at_step_0_with_a_change_there(tmp_path):
    session = bundled("adam-fabc")
    session.set_lr(0.2)
    path = tmp_path / "zero.gradstep"
    save_file.save(session, path)
    resumed = save_file.load(path)
    assert resumed.t == 0 and resumed.hyper["lr"] == 0.2
    reference = bundled("adam-fabc")
    reference.set_lr(0.2)
    same_record(resumed.step(), reference.step())


def test_the_file_is_a_zip_of_json_and_npy_arrays_without_pickle(tmp_path):
    path = tmp_path / "s.gradstep"
    session = branched("adam-fabc")
    save_file.save(session, path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        doc = json.loads(archive.read("session.json"))
        theta = np.load(io.BytesIO(archive.read("theta.npy")), allow_pickle=False)
    assert names == {"session.json", "theta.npy", "state/V.npy", "state/S.npy"}  # Adam's at step 30
    assert doc["format"] == "gradstep-save" and doc["version"] == 1
    assert doc["step"] == 30 and doc["furthest"] == 40
    assert [(c["step"], c["optimizer"], c["hyper"]["lr"], c["fresh_state"]) for c in doc["changes"]] == [
        (15, "adam", 0.1, False), (35, "sgd", 0.01, True)]  # 0.05 doubled; then SGD
    assert doc["scenario"]["text"].startswith(open(session.scenario.path).read()[:40])
    assert same(theta, session.theta)


def test_a_data_file_changed_since_the_save_is_named(tmp_path):
    from gradstep.engine.scenario import load_scenario, resolve_scenario
    from gradstep.engine.training.session import Session

    source = resolve_scenario("quadratic-fit")
    shutil.copy(source, tmp_path / "fit.toml")
    shutil.copy(source.with_name("quadratic.csv"), tmp_path / "quadratic.csv")
    session = Session(load_scenario(tmp_path / "fit.toml"))
    session.run(5)
    path = tmp_path / "fit.gradstep"
    save_file.save(session, path)
    assert same(save_file.load(path).theta, session.theta)
    with open(tmp_path / "quadratic.csv", "a") as csv:
        csv.write("9,9\n")
    with pytest.raises(SaveFileError) as caught:
        save_file.load(path)
    assert str(caught.value).startswith(f"{path}: session.json: scenario.data_sha256: ")


# -- damaged, hostile and foreign files -------------------------------------------------------
@pytest.fixture
def good(tmp_path):
    session = bundled("adam-fabc")
    session.run(12)
    path = tmp_path / "good.gradstep"
    save_file.save(session, path)
    return path, session


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def rewrite(path, contents, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in contents.items():
            archive.writestr(name, data)


def refused(path, key=None):
    """Load ``path``, which must fail with one line naming the file (and ``key``)."""
    with pytest.raises(ScenarioError) as caught:
        save_file.load(path)
    text = str(caught.value)
    assert "\n" not in text and text.startswith(f"{path}: "), text
    if key is not None:
        assert text.startswith(f"{path}: {key}: "), text
    return text


def edited_json(path, change):
    contents = members(path)
    doc = json.loads(contents["session.json"])
    change(doc)
    contents["session.json"] = json.dumps(doc).encode()
    rewrite(path, contents)


def test_not_a_zip(tmp_path):
    path = tmp_path / "x.gradstep"
    path.write_text("[optimizer]\nkind = 'adam'\n")
    assert "not a gradstep save file" in refused(path)


def test_a_foreign_zip_such_as_an_npz(tmp_path):
    path = tmp_path / "x.gradstep"
    with open(path, "wb") as out:
        np.savez(out, a=np.arange(3))
    refused(path, "session.json")


@pytest.mark.parametrize("key,change", [
    ("session.json: format", lambda d: d.update(format="other")),
    ("session.json: version", lambda d: d.update(version=99)),
    ("session.json: step", lambda d: d.update(step=d["furthest"] + 1)),
    ("session.json: furthest", lambda d: d.update(furthest="12")),
    ("session.json: scenario.text", lambda d: d["scenario"].update(text="[optimizer\n")),
    ("session.json: scenario.seed", lambda d: d["scenario"].update(seed=d["scenario"]["seed"] + 1)),
    ("session.json: changes[0].type", lambda d: d["changes"].append({"type": "typed_value", "step": 3})),
    ("session.json: changes[0].hyper.lr", lambda d: d["changes"].append(
        {"type": "course", "step": 3, "optimizer": "adam", "hyper": {"lr": True}, "fresh_state": False})),
    ("session.json: changes[0].optimizer", lambda d: d["changes"].append(
        {"type": "course", "step": 3, "optimizer": "os.system", "hyper": {}, "fresh_state": True})),
    ("session.json: state.scalars", lambda d: d["state"]["scalars"].update(t=11)),
    ("session.json: changes[0].parameter", lambda d: d["changes"].append(
        {"type": "value", "step": 3, "parameter": "__class__", "index": [], "value": 1.0})),
    ("session.json: changes[0].index", lambda d: d["changes"].append(
        {"type": "value", "step": 3, "parameter": "a", "index": [0], "value": 1.0})),  # a is a scalar
    ("session.json: changes[0].value", lambda d: d["changes"].append(
        {"type": "value", "step": 3, "parameter": "a", "index": [], "value": "1e999"})),
    ("session.json: changes[1].step", lambda d: d["changes"].extend([
        {"type": "value", "step": 5, "parameter": "a", "index": [], "value": 1.0},
        {"type": "value", "step": 4, "parameter": "a", "index": [], "value": 1.0}])),
])
def test_a_wrong_description_names_its_key(good, key, change):
    path, _session = good
    edited_json(path, change)
    refused(path, key)


def test_a_changed_rate_is_a_mismatch_of_the_replay(good):
    path, _session = good
    edited_json(path, lambda d: d["changes"].append(
        {"type": "course", "step": 4, "optimizer": "adam", "hyper": {"lr": 0.07}, "fresh_state": False}))
    assert "differs from the replayed session" in refused(path, "theta.npy")


def test_json_nested_too_deeply(good):
    path, _session = good
    contents = members(path)
    contents["session.json"] = b"[" * 100_000 + b"]" * 100_000
    rewrite(path, contents)
    assert "nested" in refused(path, "session.json")


def test_a_pickled_array_is_refused(good):
    path, _session = good
    contents = members(path)
    out = io.BytesIO()
    np.save(out, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    contents["theta.npy"] = out.getvalue()
    rewrite(path, contents)
    refused(path, "theta.npy")


def test_an_array_of_the_wrong_shape(good):
    path, _session = good
    contents = members(path)
    out = io.BytesIO()
    np.save(out, np.zeros(4))
    contents["theta.npy"] = out.getvalue()
    rewrite(path, contents)
    assert "shape" in refused(path, "theta.npy")


def test_a_zip_bomb_is_refused_before_it_is_inflated(good):
    path, _session = good
    contents = members(path)
    contents["theta.npy"] = bytes(50_000_000)  # 50 MB of zeros: ~50 kB deflated
    rewrite(path, contents, zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < 1_000_000
    assert "claims 50,000,000 bytes" in refused(path, "theta.npy")


def test_a_member_claiming_10_gb_in_its_header(good):
    path, _session = good
    data = bytearray(path.read_bytes())
    # The central directory entry of theta.npy: its uncompressed size field (offset 24) made huge.
    entry = data.find(b"PK\x01\x02", 0)
    while data[entry + 46:entry + 46 + len(b"theta.npy")] != b"theta.npy":
        entry = data.find(b"PK\x01\x02", entry + 1)
    struct.pack_into("<L", data, entry + 24, 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    refused(path, "theta.npy")


def test_too_many_members(good):
    path, _session = good
    contents = members(path)
    contents.update({f"extra{i}": b"" for i in range(80)})
    rewrite(path, contents)
    assert "the archive claims 84 members" in refused(path)


def test_an_unexpected_member(good):
    path, _session = good
    contents = members(path)
    contents["../../evil"] = b"x"
    rewrite(path, contents)
    refused(path, "../../evil")


def test_the_memory_budget_is_asked_before_an_array_is_read(good):
    path, _session = good
    previous = memory.set_limit(16)
    try:
        with pytest.raises(memory.MemoryBudgetError):
            save_file.load(path)
    finally:
        memory.set_limit(previous)


def test_truncated_files(good):
    path, session = good
    data = path.read_bytes()
    for cut in range(0, len(data), max(1, len(data) // 40)):
        path.write_bytes(data[:cut])
        refused(path)


def test_fuzzed_bytes_give_the_saved_session_or_one_line(good):
    path, session = good
    data = path.read_bytes()
    rng = random.Random(18)
    loaded = 0
    for _case in range(150):
        damaged = bytearray(data)
        for _flip in range(rng.choice((1, 1, 2, 8))):
            damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(damaged))
        try:
            resumed = save_file.load(path)
        except ScenarioError as exc:
            text = str(exc)
            assert "\n" not in text and text.startswith(f"{path}: "), text
        else:  # a flip in bytes nobody reads (a time stamp): the session, exactly
            loaded += 1
            assert same(resumed.theta, session.theta) and resumed.t == session.t
    assert loaded < 150
