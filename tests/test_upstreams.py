"""The upstreams setting and the rule that picks the model server for a request."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets import TraitError

from jelai.config import JelaiTutor
from jelai.gateway.upstreams import Upstreams, UpstreamSpec, configured, parse_upstreams

RETRY = 10.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pick(pool: Upstreams, specs: list[UpstreamSpec], model: str = "m") -> UpstreamSpec:
    """What a request for `model` gets first, counted as in flight."""
    serving, out = pool.order(specs, model)
    spec = (serving or out)[0]
    pool.take_turn()
    pool.hold(spec)
    return spec


def test_without_the_setting_there_is_one_ollama_at_ollama_url() -> None:
    tutor = JelaiTutor(ollama_url="http://gpu:11434/")
    assert configured(tutor) == [UpstreamSpec("http://gpu:11434")]


def test_the_setting_names_each_server_and_what_it_serves() -> None:
    tutor = JelaiTutor(
        upstreams=[
            {"url": "http://gpu1:11434"},
            {
                "url": "http://vllm:8000",
                "api": "openai",
                "models": ["Qwen/Qwen2.5-7B-Instruct"],
                "api_key": "sk-1",
                "max_concurrent": 8,
                "headers": {"X-Course": "py101"},
            },
        ],
        headers={"X-Site": "uni"},
    )
    ollama, vllm = configured(tutor)
    assert ollama.api == "ollama" and ollama.serves("anything:7b")
    assert vllm.base_url == "http://vllm:8000/v1"  # OpenAI's /v1 is implied
    assert vllm.serves("Qwen/Qwen2.5-7B-Instruct:latest") and not vllm.serves("llama3.1:8b")
    assert vllm.name_for("Qwen/Qwen2.5-7B-Instruct:latest") == "Qwen/Qwen2.5-7B-Instruct"
    assert vllm.request_headers(tutor.headers) == {
        "X-Site": "uni",
        "X-Course": "py101",
        "Authorization": "Bearer sk-1",
    }
    assert UpstreamSpec("http://h:1/api/v2", "openai").base_url == "http://h:1/api/v2"


@pytest.mark.parametrize(
    "entry, words",
    [
        ({"api": "ollama"}, "needs a url"),
        ({"url": "gpu1:11434"}, "needs a url"),
        ({"url": "http://a", "api": "anthropic"}, "api must be one of"),
        ({"url": "http://a", "models": "llama3.1"}, "models must be a list"),
        ({"url": "http://a", "max_concurrent": -1}, "max_concurrent"),
        ({"url": "http://a", "max_concurrent": True}, "max_concurrent"),
        ({"url": "http://a", "api_key": 7}, "api_key"),
        ({"url": "http://a", "headers": {"X": 1}}, "headers"),
        ({"url": "http://a", "model": ["x"]}, "unknown fields ['model']"),
    ],
)
def test_a_mistaken_setting_is_refused_when_read(entry: dict[str, Any], words: str) -> None:
    with pytest.raises(TraitError, match="c.JelaiTutor.upstreams") as info:
        JelaiTutor(upstreams=[entry])
    assert words in str(info.value)


def test_the_same_server_twice_is_refused_without_repeating_its_credentials() -> None:
    with pytest.raises(ValueError, match="repeats") as info:
        parse_upstreams([{"url": "http://u:s3cret@a/"}, {"url": "http://u:s3cret@a"}])
    assert "s3cret" not in str(info.value) and "http://a:80" in str(info.value)


def test_students_read_an_upstream_by_its_label_never_its_url() -> None:
    first, second = parse_upstreams(
        [{"url": "http://jelai:s3cret@gpu1:11434"}, {"url": "http://gpu2", "name": "gpu-2"}]
    )
    assert (first.name, first.label) == ("1", "Model server 1")
    assert (second.name, second.label) == ("gpu-2", "Model server gpu-2")
    assert first.address == "http://gpu1:11434"  # for the log: no credentials, no path
    assert UpstreamSpec("http://gpu:11434").label == "The model server"


@pytest.mark.parametrize(
    "entries, words",
    [
        ([{"url": "http://a", "name": "http://a"}], "name must be"),
        ([{"url": "http://a", "name": ""}], "name must be"),
        ([{"url": "http://a", "name": 2}], "name must be"),
        ([{"url": "http://a"}, {"url": "http://b", "name": "1"}], "is taken"),
    ],
)
def test_a_name_is_a_short_word_of_its_own(entries: list[dict[str, Any]], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        parse_upstreams(entries)


def test_requests_go_to_the_least_busy_server_and_ties_take_turns() -> None:
    a, b, c = (UpstreamSpec(f"http://{n}") for n in "abc")
    pool = Upstreams()
    firsts = [pick(pool, [a, b, c]) for _ in range(3)]
    assert firsts == [a, b, c]  # one each
    pool.release(b)
    assert pick(pool, [a, b, c]) == b  # the least busy
    for spec in (a, b, c, b):
        pool.release(spec)
    turns = []
    for _ in range(4):
        spec = pick(pool, [a, b, c])
        turns.append(spec)
        pool.release(spec)
    assert sorted({s.url for s in turns}) == ["http://a", "http://b", "http://c"]


def test_the_load_is_counted_against_each_servers_size() -> None:
    big = UpstreamSpec("http://big", max_concurrent=8)
    small = UpstreamSpec("http://small", max_concurrent=2)
    pool = Upstreams()
    chosen = [pick(pool, [big, small]) for _ in range(10)]
    assert chosen.count(big) == 8 and chosen.count(small) == 2
    assert not pool.has_room(big) and not pool.has_room(small)


def test_only_servers_of_the_model_are_candidates() -> None:
    llama = UpstreamSpec("http://a", models=("llama3.1:8b",))
    qwen = UpstreamSpec("http://b", api="openai", models=("qwen2.5",))
    pool = Upstreams()
    assert pool.order([llama, qwen], "qwen2.5:latest") == ([qwen], [])
    assert pool.order([llama, qwen], "mistral") == ([], [])
    assert pool.order([llama, qwen], None) == ([llama, qwen], [])


def test_a_failed_server_is_left_out_for_a_back_off_that_doubles() -> None:
    a, b = UpstreamSpec("http://a"), UpstreamSpec("http://b")
    clock = Clock()
    pool = Upstreams(clock=clock)
    pool.failed(a, "not reachable", RETRY)
    assert pool.order([a, b], "m") == ([b], [a])  # out, yet last in line
    clock.now += RETRY
    assert pool.in_service(a)  # on trial
    pool.failed(a, "HTTP 503", RETRY)
    clock.now += RETRY
    assert not pool.in_service(a)  # twice as long now
    clock.now += RETRY
    assert pool.in_service(a)
    pool.answered(a)
    pool.failed(a, "not reachable", RETRY)
    clock.now += RETRY
    assert pool.in_service(a)  # an answer forgot the failures before it
    for _ in range(20):
        pool.failed(b, "HTTP 500", RETRY)
    clock.now += 32 * RETRY
    assert pool.in_service(b)  # the back-off has a ceiling


def test_when_none_is_in_service_those_out_are_tried_soonest_back_first() -> None:
    a, b = UpstreamSpec("http://a"), UpstreamSpec("http://b")
    pool = Upstreams(clock=Clock())
    pool.failed(a, "x", RETRY)
    pool.failed(a, "x", RETRY)  # out for twice as long
    pool.failed(b, "x", RETRY)
    assert pool.order([a, b], "m") == ([], [b, a])
