"""Resuming on another number of ranks: the epoch's remaining samples, each exactly once."""

from __future__ import annotations

import pytest

from core.data.sampler import ResumableSampler


def consume(samplers: list[ResumableSampler], batches: int, batch: int) -> list[int]:
    """`batches` lockstep batches of `batch` indices per rank, as the loader consumes them."""
    seen = []
    for _ in range(batches):
        for sampler in samplers:
            seen += list(sampler)[:batch]
        for sampler in samplers:
            sampler.advance(batch)
    return seen


@pytest.mark.parametrize(("old", "new"), [(2, 1), (4, 2), (2, 3), (1, 4)])
def test_the_rest_of_the_epoch_is_covered_exactly_once(old, new):
    n = 37
    before = [ResumableSampler(n, seed=5, rank=r, world_size=old) for r in range(old)]
    seen = consume(before, batches=3, batch=2)
    state = before[0].state_dict()
    after = [ResumableSampler(n, seed=5, rank=r, world_size=new) for r in range(new)]
    for sampler in after:
        sampler.load_state_dict(state, reshard=True)
    rest = [i for sampler in after for i in sampler]  # what the new ranks still have this epoch
    perm = ResumableSampler(n, seed=5)._remaining(0).tolist()
    remaining = perm[3 * 2 * old:]  # 3 lockstep batches of 2 on each old rank were consumed
    assert set(seen) == set(perm[: 3 * 2 * old]) and not set(seen) & set(remaining)
    assert set(rest) == set(remaining)  # nothing consumed twice, nothing skipped
    assert 0 <= len(rest) - len(remaining) < new  # each once, plus the usual padding to a multiple of the ranks
    # The next epoch is an ordinary one on the new world.
    for sampler in after:
        sampler.advance(len(sampler))
    assert all(s.epoch == 1 and s.start == 0 and len(s) == -(-n // new) for s in after)


def test_same_world_size_resumes_exactly_and_refuses_a_silent_change():
    a = ResumableSampler(20, seed=1, rank=1, world_size=2)
    a.advance(3)
    b = ResumableSampler(20, seed=1, rank=1, world_size=2)
    b.load_state_dict(a.state_dict())
    assert list(a) == list(b)
    c = ResumableSampler(20, seed=1, rank=0, world_size=1)
    with pytest.raises(ValueError, match="world size 2"):
        c.load_state_dict(a.state_dict())


def test_an_epoch_consumed_up_to_its_padding_moves_on():
    samplers = [ResumableSampler(5, seed=0, rank=r, world_size=2) for r in range(2)]
    consume(samplers, batches=1, batch=2)  # 4 of 5 consumed; one left per rank incl. a padding repeat
    for sampler in samplers:
        sampler.advance(1)  # the epoch's last indices (one of them the repeat)
    assert samplers[0].epoch == 1
    state = {**samplers[0].state_dict(), "epoch": 0, "position": 3}  # as if saved right at the end
    single = ResumableSampler(5, seed=0)
    single.load_state_dict(state, reshard=True)
    assert single.epoch == 1 and single.start == 0
