"""The course's jelai service for the queue benchmark, without a JupyterHub.

    python bench/gateway_service.py PORT --JelaiService.store_url=... --JelaiTutor.ollama_url=...

Everything is the real service (`jelai service`: its handlers, the gateway,
the store) except the hub's answer to "whose token is this", stood in for
here: the token is the user's name. The hub's own cost (one cached call
per token) is not what the benchmark measures.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from jupyterhub.services.auth import HubOAuth

from jelai.service import app


class HubStandIn(HubOAuth):
    """The hub's token check, stood in for: `Authorization: token ana` is ana."""

    async def _check_hub_authorization(
        self, url: str, api_token: str, cache_key: str | None = None, use_cache: bool = True
    ) -> dict[str, Any]:
        return {"kind": "user", "name": api_token, "groups": [], "scopes": []}


if __name__ == "__main__":
    os.environ["JUPYTERHUB_SERVICE_URL"] = f"http://127.0.0.1:{sys.argv[1]}"
    os.environ["JUPYTERHUB_SERVICE_PREFIX"] = "/services/jelai/"
    app.HubOAuth = HubStandIn  # type: ignore[misc]
    app.main(sys.argv[2:])
