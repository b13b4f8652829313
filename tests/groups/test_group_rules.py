"""The rules of breakout groups without I/O: input checks, guids, and how shards fill
(``placement.Shards`` under random joins and leaves, checked against a plain model)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from breakout_widgets.errors import InvalidInput
from breakout_widgets.service.domain.limits import Limits
from breakout_widgets.service.groups import rules
from breakout_widgets.service.groups.directory import InMemoryGroupDirectory
from breakout_widgets.service.groups.placement import Shards


def _check(group, user=None):
    body = {"group": group}
    if user is not None:
        body["user"] = user
    return rules.JoinRequest.check(body, Limits())


def test_a_join_without_a_user_name_is_anonymous_and_without_a_group_name_refused():
    checked = _check({"name": "  article-42 "})
    assert (checked.group, checked.user, checked.icon, checked.avatar) == (
        "article-42",
        "Anonymous",
        None,
        None,
    )
    assert _check({"name": "x"}, {"name": "  "}).user == "Anonymous"
    assert _check({"name": "x", "type": "public"}, {"avatar": "a.png"}).avatar == "a.png"
    for group in (None, {}, {"name": None}, {"name": "   "}):
        with pytest.raises(InvalidInput, match="the group needs a name"):
            _check(group, {"name": "Ada"})
    with pytest.raises(InvalidInput, match="the group needs a name"):
        rules.JoinRequest.check({}, Limits())
    with pytest.raises(InvalidInput, match="at most 1000"):
        rules.group_name("x" * 1001)
    with pytest.raises(InvalidInput, match="at most 100"):
        rules.user_name("x" * 101, Limits())
    with pytest.raises(InvalidInput, match="avatar must be a string"):
        _check({"name": "x"}, {"avatar": 5})
    with pytest.raises(InvalidInput, match="group name must be a string"):
        _check({"name": 42})
    with pytest.raises(InvalidInput, match=r"unknown fields \['max'\]"):
        _check({"name": "x", "max": 5})
    with pytest.raises(InvalidInput, match="must be an object"):
        rules.JoinRequest.check(["x"], Limits())
    with pytest.raises(InvalidInput, match="type must be 'public'"):
        _check({"name": "x", "type": "private"})


def test_guids_and_the_refusal_of_group_names():
    guid = rules.new_guid()
    assert rules.is_guid(guid) and rules.require_guid(guid) == guid
    for name in ("article-42", "https://example.org/a?b=1", "g_123", "G_" + guid[2:], ""):
        with pytest.raises(InvalidInput, match="not to the group name") as info:
            rules.require_guid(name)
        assert repr(name) in info.value.message
    assert rules.new_member_token().startswith("bwg_")
    assert len({rules.new_uid() for _ in range(1000)}) == 1000


@pytest.mark.parametrize("bad", [0, -1, 1_000_001, True, 2.5, "10", None])
def test_max_must_be_a_whole_number_in_range(bad):
    with pytest.raises(InvalidInput, match="max must be"):
        rules.shard_max(bad)


def _guids():
    counter = itertools.count(1)
    return lambda: f"g_{next(counter):016x}"


class Model:
    """The placement rules, spelled out as slowly and plainly as possible."""

    def __init__(self, max_size: int) -> None:
        self.max = max_size
        self.shards: dict[int, set[str]] = {}

    def place(self, uid: str) -> int:
        with_room = [n for n in sorted(self.shards) if len(self.shards[n]) < self.max]
        if with_room:
            number = with_room[0]
        else:
            number = next(n for n in itertools.count(1) if n not in self.shards)
            self.shards[number] = set()
        self.shards[number].add(uid)
        return number

    def release(self, number: int, uid: str) -> None:
        self.shards[number].discard(uid)
        if not self.shards[number]:
            del self.shards[number]


# An operation: ("join",), ("leave", index into the members seated), ("max", new max).
operations = st.lists(
    st.one_of(
        st.tuples(st.just("join")),
        st.tuples(st.just("leave"), st.integers(0, 10_000)),
        st.tuples(st.just("max"), st.integers(1, 6)),
    ),
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(max_size=st.integers(1, 5), ops=operations)
def test_shards_fill_lowest_first_and_never_overflow(max_size, ops):
    shards, model = Shards(max_size), Model(max_size)
    seated: list[tuple[str, int]] = []  # (uid, shard number)
    new_guid = _guids()
    for i, op in enumerate(ops):
        if op[0] == "join":
            uid = f"u{i}"
            shard, created = shards.place(uid, new_guid, now=float(i))
            assert shard.number == model.place(uid)
            assert created == (len(shard.members) == 1)
            seated.append((uid, shard.number))
        elif op[0] == "leave" and seated:
            uid, number = seated.pop(op[1] % len(seated))
            emptied = shards.release(number, uid, now=float(i))
            model.release(number, uid)
            assert emptied == (number not in model.shards)
        elif op[0] == "max":
            shards.set_max(op[1])
            model.max = op[1]
        # the same shards with the same people; numbers 1, 2, 3… as the model says
        assert {n: s.members for n, s in shards.by_number.items()} == model.shards
        assert all(s.members for s in shards.by_number.values())  # empty shards are gone
        everyone = [uid for s in shards.by_number.values() for uid in s.members]
        assert len(everyone) == len(set(everyone)) == len(seated)  # nobody twice


def test_a_shard_over_a_lowered_max_takes_nobody_until_it_shrinks():
    shards, new_guid = Shards(3), _guids()
    for uid in "abc":
        shards.place(uid, new_guid, 0.0)
    shards.set_max(2)
    assert shards.place("d", new_guid, 0.0)[0].number == 2
    shards.release(1, "a", 0.0)
    assert shards.place("e", new_guid, 0.0)[0].number == 2  # shard 1 still holds 2 of 2
    shards.release(1, "b", 0.0)
    assert shards.place("f", new_guid, 0.0)[0].number == 1


async def test_the_directory_numbers_per_app_and_name_and_forgets_empty_shards():
    directory = InMemoryGroupDirectory(new_id=_guids())
    a1 = await directory.place("default", "article", "u1", 2)
    a2 = await directory.place("default", "article", "u2", 2)
    a3 = await directory.place("default", "article", "u3", 2)
    other_app = await directory.place("app_x", "article", "u4", 2)
    other_name = await directory.place("default", "Article", "u5", 2)
    assert (a1.number, a2.number, a3.number, other_app.number, other_name.number) == (
        1,
        1,
        2,
        1,
        1,
    )
    assert a1.guid == a2.guid != a3.guid
    assert len({a1.guid, a3.guid, other_app.guid, other_name.guid}) == 4
    assert [s.to_json()["members"] for s in await directory.shards("default", "article")] == [2, 1]
    assert await directory.members(a1.guid) == ["u1", "u2"]
    assert await directory.release(a3.guid, "u3") is True  # emptied: gone
    assert await directory.shard(a3.guid) is None
    assert await directory.count(a3.guid) == 0
    assert await directory.release(a1.guid, "nobody") is False
    again = await directory.place("default", "article", "u6", 2)
    assert again.number == 2 and again.guid != a3.guid and again.created
