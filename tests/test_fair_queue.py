"""The fair queue: a few generations at once, waiting students in turn."""

from __future__ import annotations

import asyncio

from jelai.gateway.queue import FairQueue, Ticket


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Class:
    """A queue and every ticket its students took."""

    def __init__(self, slots: int) -> None:
        self.queue = FairQueue(slots)
        self.tickets: list[Ticket] = []

    def ask(self, user: str) -> Ticket:
        ticket = self.queue.enter(user)
        self.tickets.append(ticket)
        return ticket

    def answer_all(self) -> list[str]:
        """Ends the running requests one at a time, oldest first, until nothing
        waits: whose request got each freed slot."""
        running = [t for t in self.tickets if t.granted and not t.left]
        order = []
        while running:
            waiting = self.queue.waiting()
            self.queue.leave(running.pop(0))
            for ticket in waiting:
                if ticket.granted:
                    order.append(ticket.user)
                    running.append(ticket)
        return order


def test_nine_students_first_questions_go_before_one_students_second() -> None:
    room = Class(1)
    first = room.ask("ana")
    mine = [room.ask("ana") for _ in range(9)]  # ana's questions 2 to 10
    others = [room.ask(f"s{n}") for n in range(9)]
    assert first.granted and not any(t.granted for t in mine + others)
    # Everyone else's first question is ahead of ana's second, and each knows it.
    assert [t.position for t in others] == list(range(1, 10))
    assert [t.position for t in mine] == list(range(10, 19))
    assert room.answer_all() == [f"s{n}" for n in range(9)] + ["ana"] * 9


def test_students_with_several_questions_take_turns() -> None:
    room = Class(2)
    room.ask("ana")
    room.ask("bob")
    for user in ("ana", "ana", "ana", "bob", "bob", "cid"):
        room.ask(user)
    # cid has had no turn yet; then ana and bob alternate, ana (served first) first.
    turns = ["cid", "ana", "bob", "ana", "bob", "ana"]
    assert [t.user for t in room.queue.waiting()] == turns
    assert room.answer_all() == turns


def test_a_slot_is_taken_at_once_while_one_is_free() -> None:
    room = Class(3)
    tickets = [room.ask("ana"), room.ask("ana"), room.ask("bob")]
    assert all(t.granted for t in tickets) and room.queue.running() == 3
    late = room.ask("cid")
    assert (late.granted, late.position, late.waited) == (False, 1, True)
    room.queue.leave(tickets[0])
    assert late.granted and room.queue.running() == 3


def test_each_upstream_has_its_own_slots() -> None:
    queue = FairQueue(lambda name: {"big": 2}.get(name, 1))
    assert queue.enter("ana", "small").granted
    assert not queue.enter("bob", "small").granted
    assert queue.enter("bob", "big").granted and queue.enter("cid", "big").granted
    assert queue.enter("dan", "big").position == 1
    assert (queue.running("small"), queue.running("big")) == (1, 2)


def test_a_student_who_stops_while_waiting_leaves_the_line() -> None:
    room = Class(1)
    running = room.ask("ana")
    bob, cid = room.ask("bob"), room.ask("cid")
    assert (bob.position, cid.position) == (1, 2)
    room.queue.leave(bob)
    assert (bob.left, bob.granted, cid.position) == (True, False, 1)
    room.queue.leave(running)
    assert cid.granted and not bob.granted
    room.queue.leave(bob)  # leaving twice changes nothing
    assert room.queue.running() == 1 and room.queue.waiting() == []


def test_a_later_arrival_who_has_not_had_a_turn_moves_ahead() -> None:
    room = Class(1)
    room.ask("ana")
    second = room.ask("ana")
    assert second.position == 1
    room.ask("bob")
    # ana's second question is now behind bob's first; she is told so.
    assert (second.position, second.first_position) == (2, 1)


def test_a_student_with_nothing_running_or_waiting_starts_afresh() -> None:
    room = Class(1)
    ana = room.ask("ana")
    bob = room.ask("bob")
    room.queue.leave(ana)  # bob's turn; ana has nothing left
    assert bob.granted
    cid, ana_again = room.ask("cid"), room.ask("ana")
    # Neither has anything running or a turn behind them: they go as they came.
    assert (cid.position, ana_again.position) == (1, 2)


def test_the_wait_is_measured_on_the_queues_clock() -> None:
    clock = Clock()
    queue = FairQueue(1, clock=clock)
    first = queue.enter("ana")
    waiting = queue.enter("bob")
    leaving = queue.enter("cid")
    assert (first.wait_seconds(), waiting.wait_seconds()) == (0.0, None)
    clock.now += 2.5
    queue.leave(leaving)
    clock.now += 1.5
    queue.leave(first)
    assert (waiting.wait_seconds(), leaving.wait_seconds()) == (4.0, 2.5)


def test_a_waiter_wakes_when_its_place_changes_and_when_it_is_served() -> None:
    async def watch() -> list[tuple[int, bool, bool]]:
        queue = FairQueue(1)
        first, second, mine = queue.enter("ana"), queue.enter("bob"), queue.enter("cid")
        seen = [(mine.position, mine.granted, True)]
        for leaving in (first, second):
            queue.leave(leaving)
            woke = await mine.changed(timeout=5)
            seen.append((mine.position, mine.granted, woke))
        # Nothing changes now: the wait ends at its timeout, as a heartbeat.
        seen.append((mine.position, mine.granted, await mine.changed(timeout=0)))
        return seen

    assert asyncio.run(watch()) == [
        (2, False, True),
        (1, False, True),
        (0, True, True),
        (0, True, False),
    ]


def test_a_student_holds_at_most_their_share_while_others_are_served() -> None:
    queue = FairQueue(4, per_user=1)
    first = queue.enter("ana")
    second = queue.enter("ana")  # a script with ana's token asks again at once
    assert first.granted and not second.granted
    assert (second.position, second.cause) == (1, "own_limit")
    bob = queue.enter("bob")
    assert bob.granted  # a free slot goes to someone else meanwhile
    assert second.position == 1 and queue.running() == 2
    queue.leave(first)
    assert second.granted and queue.holding("ana") == 1


def test_a_capped_students_questions_come_after_the_others_in_line() -> None:
    queue = FairQueue(1, per_user=1)
    queue.enter("ana")
    mine = queue.enter("ana")
    bob = queue.enter("bob")
    # ana holds her share: bob's question is next, hers after it.
    assert (bob.position, mine.position, bob.cause) == (1, 2, "busy")


def test_the_cap_counts_over_every_line() -> None:
    queue = FairQueue(2, per_user=1)
    running = queue.enter("ana", "big")
    other = queue.enter("ana", "small")  # the other model's line has room, ana has not
    assert not other.granted and other.cause == "own_limit"
    queue.leave(running)
    assert other.granted and queue.running("small") == 1
