"""The context window requested from the model server, and the budget that must fit in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from traitlets.config import Config

from jelai.config import JelaiTutor
from jelai.errors import JelaiError
from jelai.gateway.proxy import rewrite_body
from tests.fake_ollama import FakeOllama

Fetch = Callable[..., Any]


def sent_options(**config: Any) -> dict[str, Any]:
    """The options the proxy sends Ollama for a chat request without options of its own."""
    body = rewrite_body(JelaiTutor(**config), "chat", {"model": "m", "messages": []})
    return body["options"]


def test_options_without_num_ctx_keep_the_window() -> None:
    # The instructor only meant to change the temperature.
    assert sent_options(model_options={"temperature": 0.2}) == {
        "temperature": 0.2,
        "num_ctx": 8192,
    }


def test_the_window_is_its_own_setting_and_wins() -> None:
    assert sent_options(context_window=16384)["num_ctx"] == 16384
    tutor = JelaiTutor(model_options={"num_ctx": 4096}, context_window=2048)
    assert tutor.context_fit().window == 2048
    assert sent_options(model_options={"num_ctx": 4096}, context_window=2048)["num_ctx"] == 2048


def test_an_older_configuration_with_num_ctx_in_the_options_still_counts() -> None:
    assert sent_options(model_options={"temperature": 0.1, "num_ctx": 4096}) == {
        "temperature": 0.1,
        "num_ctx": 4096,
    }
    assert JelaiTutor(model_options={"num_ctx": 4096}).context_fit().window == 4096


def test_a_request_cannot_ask_for_another_window() -> None:
    tutor = JelaiTutor(context_window=4096)
    with pytest.raises(JelaiError) as raised:
        rewrite_body(tutor, "chat", {"model": "m", "messages": [], "options": {"num_ctx": 131072}})
    assert (raised.value.status, raised.value.field) == (400, "options.num_ctx")
    body = rewrite_body(
        tutor, "chat", {"model": "m", "messages": [], "options": {"temperature": 1}}
    )
    assert body["options"] == {"temperature": 1, "num_ctx": 4096}


def test_the_default_budget_fits_the_default_window() -> None:
    fit = JelaiTutor().context_fit()
    assert (fit.window, fit.configured_budget, fit.budget, fit.notes) == (8192, 6000, 6000, [])


@pytest.mark.parametrize(
    "config, budget",
    [
        ({"context_window": 2048}, 1536),
        ({"context_window": 4096}, 3072),
        ({"model_options": {"num_ctx": 4096}}, 3072),
        ({"context_window": 4096, "context_budget_tokens": 3000}, 3000),
    ],
)
def test_the_budget_leaves_a_quarter_of_the_window_for_the_reply(
    config: dict[str, Any], budget: int
) -> None:
    fit = JelaiTutor(**config).context_fit()
    assert fit.budget == budget
    assert fit.budget <= fit.window * 3 // 4
    assert bool(fit.notes) == (fit.budget < fit.configured_budget)


def test_a_budget_too_large_for_the_window_is_lowered_and_said() -> None:
    fit = JelaiTutor(context_window=2048).context_fit()
    [note] = fit.notes
    assert "6000" in note and "2048" in note and "1536" in note


def test_num_ctx_in_the_options_disagreeing_with_the_window_is_said() -> None:
    fit = JelaiTutor(model_options={"num_ctx": 4096}, context_window=16384).context_fit()
    assert fit.window == 16384
    assert any("num_ctx" in note and "4096" in note for note in fit.notes)


# The server as the browser sees it: the instructor set only a temperature and a small window.


@pytest.fixture
def jp_server_config(jp_server_config: Config, fake: FakeOllama) -> Config:
    jp_server_config.JelaiTutor.ollama_url = fake.url
    jp_server_config.JelaiTutor.model_options = {"temperature": 0.2}
    jp_server_config.JelaiTutor.context_window = 2048
    return jp_server_config


async def test_the_browser_reads_the_window_and_the_budget_used(jp_fetch: Fetch) -> None:
    config = json.loads((await jp_fetch("jelai", "config")).body)["tutor"]
    assert config["context_window"] == 2048
    assert config["context_budget_tokens"] == 1536
    assert config["configured_context_budget_tokens"] == 6000
    assert len(config["context_notes"]) == 1 and "1536" in config["context_notes"][0]
    course = json.loads(
        (await jp_fetch("jelai", "tutor", "instructions", params={"notebook": "a.ipynb"})).body
    )["course"]
    assert course["context_budget_tokens"] == 1536
    assert course["context_window"] == 2048
    assert course["context_notes"] == config["context_notes"]


async def test_every_chat_request_carries_the_window(jp_fetch: Fetch, fake: FakeOllama) -> None:
    body = {"model": "llama3.1:8b", "messages": [{"role": "user", "content": "hi"}]}
    await jp_fetch(
        "jelai", "ollama", "api", "chat", method="POST", body=json.dumps(body | {"stream": False})
    )
    [request] = fake.received("/api/chat")
    assert request.body["options"] == {"temperature": 0.2, "num_ctx": 2048}
