"""11. The real model, directly and through jelai standalone (the Jupyter
server's gateway): time to first token and tokens per second.

SmolLM2-135M on llama.cpp's server (`tests/real_model.py`, installed by
`scripts/real_model.sh`) answers the same question, greedy and cut at the
same length, directly (`/v1/chat/completions`, streamed) and through a
Jupyter server's `/jelai/ollama/api/chat` whose upstream it is; requests
alternate. Time to first token is the first body byte; tokens per second
counts the streamed chunks after it.

Not yet comparable: the direct stream's first byte is llama.cpp's role chunk,
sent before the first token, and the gateway adds the tutor's instructions to
the prompt; the hub chain (as `chain.py`) is still to be added beside them.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from client import Connection, Response
from report import Row, at_most, failed, median, ms
from servers import ROOT, Jupyter

sys.path.insert(0, str(ROOT))

from tests.real_model import Missing, RealModelServer  # noqa: E402

TOKENS = 48
QUESTION = [{"role": "user", "content": "How do I add up the numbers in a Python list?"}]
ADDED_MS = 10.0


def tokens_per_second(response: Response, marker: bytes) -> float:
    chunks = response.body.count(marker)
    spent = response.ended - response.first_byte
    return chunks / spent if spent > 0 else 0.0


async def measure(model: RealModelServer, server: Jupyter, count: int) -> list[Row]:
    direct = Connection(model.port, {"Content-Type": "application/json"})
    through = Connection(server.port, {"Content-Type": "application/json", **server.auth})
    direct_body = json.dumps(
        {
            "model": model.model,
            "messages": QUESTION,
            "stream": True,
            "temperature": 0,
            "max_tokens": TOKENS,
        }
    ).encode()
    jelai_body = json.dumps(
        {
            "model": model.model,
            "messages": QUESTION,
            "stream": True,
            "options": {"temperature": 0, "num_predict": TOKENS},
        }
    ).encode()
    got: dict[str, list[Response]] = {"direct": [], "jelai": []}
    for i in range(count + 1):
        for name in ("direct", "jelai") if i % 2 else ("jelai", "direct"):
            if name == "direct":
                r = await direct.request("POST", "/v1/chat/completions", direct_body)
            else:
                r = await through.request("POST", "/jelai/ollama/api/chat", jelai_body)
            if r.status == 200 and i > 0:  # the first pair warms up
                got[name].append(r)
    await direct.close()
    await through.close()
    if not got["direct"] or not got["jelai"]:
        return [failed("11. real model", "no complete stream")]
    ttft_d = median([r.ttfb for r in got["direct"]])
    ttft_j = median([r.ttfb for r in got["jelai"]])
    tps_d = median([tokens_per_second(r, b"data: ") for r in got["direct"]])
    tps_j = median([tokens_per_second(r, b'"done":false') for r in got["jelai"]])
    added = ttft_j - ttft_d
    return [
        Row(
            f"11. real model (SmolLM2-135M, llama.cpp) through jelai standalone, "
            f"{len(got['jelai'])} streams each way, median",
            f"TTFT {ms(ttft_j)}, {tps_j:.1f} tokens/s",
            f"TTFT {ms(ttft_d)}, {tps_d:.1f} tokens/s model server direct",
            f"+{ms(added)} ({ttft_j / ttft_d:.3f}x TTFT, {tps_j / tps_d:.3f}x tokens/s)",
            f"added <= {ADDED_MS:g} ms",
            at_most(added * 1000, ADDED_MS, "ms"),
        )
    ]


def run(folder: Path, quick: bool) -> list[Row]:
    count = 6 if quick else 20
    try:
        model = RealModelServer(context=2048, log_path=folder / "real-model" / "server.log")
        model.start()
    except Missing as error:
        return [failed("11. real model", str(error)[:300])]
    upstream = {"url": model.base_url, "api": "openai", "models": [model.model]}
    config = f"c.JelaiTutor.upstreams = [{upstream!r}]\nc.JelaiTutor.context_window = 2048\n"
    data = folder / "real-jelai" / "jelai-data"
    server = Jupyter("real-jelai", folder, [f"--Jelai.data_dir={data}"], config=config)
    try:
        server.launch()
        return asyncio.run(measure(model, server, count))
    finally:
        server.stop()
        model.stop()
