"""A network namespace of the test's own, where the students' servers run.

`network_namespace()` makes one (`ip netns add`, as root) with a veth pair
between it and the host: the host side gets the first address of a /30
network that no route of this machine covers, the namespace's side the
second, and the namespace's loopback is brought up (kernels talk to their
server over it). The namespace has no other route: from inside it only the
host's side of the pair is reachable, not the host's loopback nor any other
network. Nothing else on the machine is changed, and everything made is
removed at the end, however the test ends.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# The /30 networks the test picks from (a private range), starting at one
# its process id chooses, so that runs side by side pick different ones.
POOL = ipaddress.ip_network("10.213.0.0/16")
# The route types `ip route` may print before the destination.
ROUTE_TYPES = {"unicast", "local", "broadcast", "multicast", "throw", "unreachable"}
ROUTE_TYPES |= {"prohibit", "blackhole", "nat", "anycast"}


@dataclass(frozen=True)
class Namespace:
    """The namespace and the two sides of its veth pair."""

    name: str
    host_link: str
    link: str
    host_address: str  # the host's side, where the hub, its proxy and the service listen
    address: str  # the namespace's side, where the students' servers listen

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def holds(self, pid: int) -> bool:
        """Whether process `pid` is in this namespace's network."""
        return os.stat(f"/proc/{pid}/ns/net").st_ino == os.stat(f"/run/netns/{self.name}").st_ino

    def pids(self) -> list[int]:
        """The processes in the namespace."""
        done = ip("netns", "pids", self.name, check=False)
        return [int(pid) for pid in done.stdout.split()] if done.returncode == 0 else []


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"`ip {' '.join(args)}` failed: {done.stderr.strip()}")
    return done


def require_ip_netns() -> None:
    """Fails the test (it does not skip it) where namespaces cannot be made."""
    if os.geteuid() != 0:
        pytest.fail(
            "The network namespace test must run as root (it makes a namespace and "
            "a veth pair with `ip netns` and `ip link`); CI runs it as root."
        )
    if shutil.which("ip") is None:
        pytest.fail("The network namespace test needs `ip` (Debian: apt-get install iproute2).")
    done = ip("netns", "list", check=False)
    if done.returncode != 0:
        pytest.fail(f"`ip netns` is not available here: {done.stderr.strip()}")


def networks_in_use() -> list[ipaddress.IPv4Network]:
    """Every IPv4 network this machine has a route or an address in (the default
    route aside, which covers them all)."""
    used = []
    for line in ip("-4", "-o", "route", "show", "table", "all").stdout.splitlines():
        words = line.split()
        if words and words[0] in ROUTE_TYPES:
            words = words[1:]
        if words and words[0] != "default":
            used.append(ipaddress.ip_network(words[0], strict=False))
    for line in ip("-4", "-o", "addr", "show").stdout.splitlines():
        words = line.split()
        if "inet" in words:
            used.append(ipaddress.ip_interface(words[words.index("inet") + 1]).network)
    return used


def free_network() -> ipaddress.IPv4Network:
    """A /30 of POOL that overlaps no network in use."""
    used = networks_in_use()
    subnets = list(POOL.subnets(new_prefix=30))
    start = os.getpid() % len(subnets)
    for network in subnets[start:] + subnets[:start]:
        if not any(network.overlaps(other) for other in used):
            return network
    pytest.fail(f"Every /30 of {POOL} is in use on this machine.")


def create() -> Namespace:
    """A new namespace, its veth pair up and addressed, and its loopback up."""
    require_ip_netns()
    tag = f"t{os.getpid()}"
    host, inside = list(free_network().hosts())
    ns = Namespace(f"jelai-{tag}", f"jl{tag}h", f"jl{tag}n", str(host), str(inside))
    try:
        ip("netns", "add", ns.name)
        ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.link, "netns", ns.name)
        ip("addr", "add", f"{ns.host_address}/30", "dev", ns.host_link)
        ip("link", "set", ns.host_link, "up")
        ip("-n", ns.name, "addr", "add", f"{ns.address}/30", "dev", ns.link)
        ip("-n", ns.name, "link", "set", ns.link, "up")
        ip("-n", ns.name, "link", "set", "lo", "up")
    except RuntimeError as error:
        remove(ns)
        pytest.fail(f"Could not make the test's network namespace: {error}")
    return ns


def remove(ns: Namespace) -> None:
    """Removes the namespace and its veth pair; does nothing for what is gone already.

    Processes the test started in it that are still there (a kernel its
    server did not stop) are killed first, as they would keep it alive.
    """
    if Path(f"/run/netns/{ns.name}").exists():
        for pid in ns.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        ip("netns", "delete", ns.name, check=False)
    # Deleting the namespace deletes the pair; a pair whose namespace was
    # never made is deleted from the host's side.
    if ip("link", "show", ns.host_link, check=False).returncode == 0:
        ip("link", "delete", ns.host_link, check=False)


@contextmanager
def network_namespace() -> Iterator[Namespace]:
    """A namespace for the length of the `with` block."""
    ns = create()
    try:
        yield ns
    finally:
        remove(ns)
