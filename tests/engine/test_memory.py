"""The memory budget: sizes in words, the limit, and the check before an array is made."""

import pytest

from gradstep.engine import memory
from gradstep.engine.errors import ScenarioError


@pytest.fixture
def budget():
    previous = memory.limit()
    yield
    memory.set_limit(previous)


def test_the_default_is_one_gibibyte():
    assert memory.DEFAULT_LIMIT == 1024 ** 3


@pytest.mark.parametrize("text, nbytes", [
    ("512MiB", 512 * 1024 ** 2), ("2G", 2 * 10 ** 9), ("1.5 GB", 1_500_000_000),
    ("100000000", 100_000_000), ("1gib", 1024 ** 3), ("64k", 64_000)])
def test_sizes_are_read_in_both_kinds_of_units(text, nbytes):
    assert memory.parse_size(text) == nbytes


@pytest.mark.parametrize("text", ["", "lots", "-1G", "0", "1 parsec", "1e9"])
def test_a_size_that_is_not_one_says_what_is_accepted(text):
    with pytest.raises(ValueError, match="512MiB"):
        memory.parse_size(text)


@pytest.mark.parametrize("nbytes, text", [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KiB"), (1536, "1.5 KiB"),
    (1024 ** 3, "1 GiB"), (int(7.9 * 1024 ** 3), "7.9 GiB"), (300 * 1024 ** 2, "300 MiB"),
    (10 ** 30, f"{10 ** 30 / 1024 ** 6:.0f} EiB")])
def test_sizes_are_written_in_binary_units(nbytes, text):
    assert memory.human(nbytes) == text


def test_array_bytes_never_overflow():
    # 10 axes of a million: 1e60 elements, far past int64.
    assert memory.array_bytes([10 ** 6] * 10) == 8 * 10 ** 60
    assert memory.array_bytes((3, 4), itemsize=4) == 48


def test_the_check_refuses_past_the_limit_and_names_what_and_how_much(budget):
    memory.set_limit(1024 ** 3)
    memory.check(1024 ** 3, "exactly the budget")
    with pytest.raises(memory.MemoryBudgetError) as info:
        memory.check(20_000 * 20_000 * 8, "the broadcast of P and Q", key="constants.P")
    err = info.value
    assert isinstance(err, ScenarioError)
    assert str(err) == ("constants.P: this needs about 3 GiB of memory for the broadcast of P "
                        "and Q (limit 1 GiB)")
    assert (err.needed, err.limit) == (3_200_000_000, 1024 ** 3)
    located = err.located(file="big.toml", line=4)
    assert str(located).startswith("big.toml:4: constants.P: this needs about 3 GiB")


def test_the_limit_can_be_lowered_and_restored(budget):
    previous = memory.set_limit(1000)
    assert memory.limit() == 1000
    with pytest.raises(memory.MemoryBudgetError):
        memory.check(1001, "one byte too many")
    memory.set_limit(previous)
    memory.check(1001, "now it fits")
    with pytest.raises(ValueError):
        memory.set_limit(0)
