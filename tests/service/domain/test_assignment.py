"""even_split: room sizes differ by at most one, a seed makes it reproducible."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from breakout_widgets.service.domain.assignment import even_split

people_counts = st.integers(min_value=0, max_value=300)
room_counts = st.integers(min_value=1, max_value=100)
seeds = st.one_of(st.integers(), st.text(max_size=20))


def _people(n: int) -> list[str]:
    return [f"p{i}" for i in range(n)]


def _rooms(n: int) -> list[str]:
    return [f"m{i}" for i in range(n)]


@given(n_people=people_counts, n_rooms=room_counts, seed=st.one_of(st.none(), seeds))
def test_every_person_is_placed_exactly_once_in_a_given_room(n_people, n_rooms, seed):
    people, rooms = _people(n_people), _rooms(n_rooms)
    split = even_split(people, rooms, seed)
    assert sorted(split) == sorted(people)
    assert set(split.values()) <= set(rooms)


@given(n_people=people_counts, n_rooms=room_counts, seed=st.one_of(st.none(), seeds))
def test_room_sizes_differ_by_at_most_one(n_people, n_rooms, seed):
    rooms = _rooms(n_rooms)
    sizes = Counter(even_split(_people(n_people), rooms, seed).values())
    counts = [sizes.get(room, 0) for room in rooms]
    assert max(counts) - min(counts) <= 1


@given(n_rooms=room_counts, extra=st.integers(min_value=0, max_value=200), seed=seeds)
def test_no_room_is_empty_when_there_are_enough_people(n_rooms, extra, seed):
    rooms = _rooms(n_rooms)
    split = even_split(_people(n_rooms + extra), rooms, seed)
    assert set(split.values()) == set(rooms)


@given(n_people=people_counts, n_rooms=room_counts, seed=seeds)
def test_the_same_seed_gives_the_same_split(n_people, n_rooms, seed):
    people, rooms = _people(n_people), _rooms(n_rooms)
    assert even_split(people, rooms, seed) == even_split(list(people), list(rooms), seed)


def test_different_seeds_usually_give_different_splits():
    people, rooms = _people(30), _rooms(5)
    splits = {tuple(sorted(even_split(people, rooms, seed).items())) for seed in range(20)}
    # 30 people over 5 rooms have astronomically many splits; 20 seeds must not collide much.
    assert len(splits) >= 19


def test_string_seeds_are_reproducible_and_distinct_from_each_other():
    people, rooms = _people(40), _rooms(4)
    assert even_split(people, rooms, "week-3") == even_split(people, rooms, "week-3")
    assert even_split(people, rooms, "week-3") != even_split(people, rooms, "week-4")


def test_no_seed_draws_a_fresh_split():
    people, rooms = _people(30), _rooms(5)
    splits = {tuple(sorted(even_split(people, rooms).items())) for _ in range(5)}
    assert len(splits) > 1


def test_no_rooms_gives_an_empty_split():
    assert even_split(_people(5), [], seed=1) == {}
    assert even_split([], [], seed=1) == {}


def test_no_people_gives_an_empty_split():
    assert even_split([], _rooms(3), seed=1) == {}


def test_fewer_people_than_rooms_puts_at_most_one_in_each_room():
    split = even_split(_people(3), _rooms(10), seed=5)
    assert len(split) == 3
    assert len(set(split.values())) == 3
