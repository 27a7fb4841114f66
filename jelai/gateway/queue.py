"""The fair queue: at most N generations at once per line, the rest in turn.

Each line has a number of slots. The gateway keeps one line per group of
model servers that serve a model (`groups.py`; `DEFAULT_UPSTREAM` for the
one `c.JelaiTutor.ollama_url`), so a question for one model never waits
behind another model's busy servers. A request takes a free slot at once;
when none is free it waits. When a slot frees, it goes to the waiting
student who was served least recently (a student with nothing running or
waiting starts afresh, as not served yet), and of that student's waiting
requests to the oldest. So waiting students take turns: one student's ten
questions do not go before nine other students' first, and a student who
asks while their last question is still being answered waits behind those
who have not had a turn.

A student may also hold at most `per_user` slots at once, over every line
(0: no cap): one student, or a script with their token, cannot take every
slot while others wait. Their further requests wait, even beside a free
slot, until one of their own ends; meanwhile the others are served.

A waiting ticket knows its place in line (1: next to be served), counting
the turns that would come before it if nobody else arrived; the place may
grow when a student with fewer turns arrives. Nothing here knows about
tornado; a waiter sleeps on `Ticket.changed()`.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_UPSTREAM = "default"


@dataclass(eq=False)
class Ticket:
    """One request's place: waiting (`position` >= 1), holding a slot
    (`granted`), or gone (`left`)."""

    upstream: str
    user: str
    order: int  # arrival order, across every upstream
    entered: float  # the queue's clock when it arrived
    position: int = 0
    granted: bool = False
    left: bool = False
    granted_at: float | None = None
    left_at: float | None = None
    # Waited for the first time: the place in line it was given on arrival.
    first_position: int = 0
    # Why it waited on arrival: `busy` (no free slot) or `own_limit` (the
    # student already held `per_user` slots).
    cause: str = ""
    # Set by every change, cleared by the waiter that sees it.
    _event: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def waited(self) -> bool:
        """Whether it had to wait for a slot."""
        return self.first_position > 0

    def wait_seconds(self) -> float | None:
        """Seconds from arrival until it got its slot or left the line; None while waiting."""
        end = self.granted_at if self.granted_at is not None else self.left_at
        return None if end is None else end - self.entered

    async def changed(self, timeout: float | None = None) -> bool:
        """Waits until the place changes, the slot is granted or the ticket
        leaves (or did since the last call); False when `timeout` seconds
        pass first."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        self._event.clear()
        return True

    def _notify(self) -> None:
        self._event.set()


@dataclass
class _Pool:
    """The slots of one upstream and the requests waiting for them."""

    running: int = 0
    by_user: Counter[str] = field(default_factory=Counter)  # running, per user
    waiting: dict[str, deque[Ticket]] = field(default_factory=dict)
    # When each user with something running or waiting was last served.
    served: dict[str, int] = field(default_factory=dict)
    turns: itertools.count[int] = field(default_factory=itertools.count)

    def key(self, user: str) -> tuple[int, int]:
        """Who goes first: the least recently served, then the longest waiting."""
        return (self.served.get(user, -1), self.waiting[user][0].order)

    def order(self, capped: Callable[[str], bool] = lambda _user: False) -> list[Ticket]:
        """The waiting tickets in the order they would be served, if nobody came;
        the users who hold their most slots (`capped`) after the others."""
        users = sorted(self.waiting, key=lambda user: (capped(user), *self.key(user)))
        lines = [self.waiting[user] for user in users]
        longest = max((len(line) for line in lines), default=0)
        # Round after round, each user's next request in turn.
        return [line[turn] for turn in range(longest) for line in lines if turn < len(line)]


class FairQueue:
    """Slots per upstream, granted in turn across students.

    `slots` gives the number of generations a line may run at once (a
    number for every line, or a function of its name); `per_user` the most
    one student may hold at once over every line (0: no cap); `clock` gives
    seconds (for tests).
    """

    def __init__(
        self,
        slots: int | Callable[[str], int],
        clock: Callable[[], float] = time.monotonic,
        per_user: int = 0,
    ) -> None:
        self._slots: Callable[[str], int] = slots if callable(slots) else lambda _name: slots
        self._clock = clock
        self.per_user = per_user
        self._pools: dict[str, _Pool] = {}
        self._arrivals = itertools.count()
        # Slots each user holds, over every line.
        self._holding: Counter[str] = Counter()

    def holding(self, user: str) -> int:
        """Slots `user` holds now, over every line."""
        return self._holding[user]

    def slots(self, upstream: str = DEFAULT_UPSTREAM) -> int:
        """How many generations `upstream` may run at once (at least one)."""
        return max(1, int(self._slots(upstream)))

    def running(self, upstream: str = DEFAULT_UPSTREAM) -> int:
        """Generations holding a slot of `upstream` now."""
        pool = self._pools.get(upstream)
        return pool.running if pool else 0

    def waiting(self, upstream: str = DEFAULT_UPSTREAM) -> list[Ticket]:
        """The tickets waiting for `upstream`, in the order they would be served."""
        pool = self._pools.get(upstream)
        return pool.order(self._capped) if pool else []

    def enter(self, user: str, upstream: str = DEFAULT_UPSTREAM) -> Ticket:
        """A ticket for `user`'s request: granted at once when a slot is free
        and nobody waits, else waiting with its place in line."""
        pool = self._pools.setdefault(upstream, _Pool())
        ticket = Ticket(upstream, user, next(self._arrivals), self._clock())
        pool.waiting.setdefault(user, deque()).append(ticket)
        self._dispatch(upstream, pool)
        if not ticket.granted:
            ticket.first_position = ticket.position
            ticket.cause = "own_limit" if self._capped(user) else "busy"
        return ticket

    def leave(self, ticket: Ticket) -> None:
        """The request is over (answered, failed or stopped): its slot goes to
        the next in turn; a waiting ticket leaves the line. Calling it again
        does nothing."""
        if ticket.left:
            return
        ticket.left, ticket.left_at = True, self._clock()
        pool = self._pools[ticket.upstream]
        if ticket.granted:
            pool.running -= 1
            pool.by_user[ticket.user] -= 1
            if pool.by_user[ticket.user] <= 0:
                del pool.by_user[ticket.user]
            self._holding[ticket.user] -= 1
            if self._holding[ticket.user] <= 0:
                del self._holding[ticket.user]
        else:
            line = pool.waiting[ticket.user]
            line.remove(ticket)
            if not line:
                del pool.waiting[ticket.user]
        if ticket.user not in pool.by_user and ticket.user not in pool.waiting:
            pool.served.pop(ticket.user, None)  # starts afresh next time
        ticket.position = 0
        ticket._notify()
        self._dispatch(ticket.upstream, pool)
        if ticket.granted and self.per_user:
            # A slot of theirs freed: their requests in other lines may go now.
            for name, other in list(self._pools.items()):
                if other is not pool and ticket.user in other.waiting:
                    self._dispatch(name, other)
        for name in [n for n, p in self._pools.items() if not p.running and not p.waiting]:
            del self._pools[name]

    def _capped(self, user: str) -> bool:
        return bool(self.per_user) and self._holding[user] >= self.per_user

    def _dispatch(self, upstream: str, pool: _Pool) -> None:
        """Grants free slots in turn, then tells every waiting ticket its place."""
        slots = self.slots(upstream)
        granted: set[str] = set()
        while pool.running < slots:
            users = [user for user in pool.waiting if not self._capped(user)]
            if not users:
                break
            user = min(users, key=pool.key)
            line = pool.waiting[user]
            ticket = line.popleft()
            if not line:
                del pool.waiting[user]
            pool.running += 1
            pool.by_user[user] += 1
            self._holding[user] += 1
            pool.served[user] = next(pool.turns)
            ticket.granted, ticket.position = True, 0
            ticket.granted_at = self._clock()
            ticket._notify()
            granted.add(user)
        self._places(pool)
        if self.per_user:
            # A student who now holds their most slots goes back in other lines.
            for other in self._pools.values():
                if other is not pool and not granted.isdisjoint(other.waiting):
                    self._places(other)

    def _places(self, pool: _Pool) -> None:
        """Tells every waiting ticket of `pool` its place."""
        for place, ticket in enumerate(pool.order(self._capped), start=1):
            if ticket.position != place:
                ticket.position = place
                ticket._notify()
