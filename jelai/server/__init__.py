"""The Jupyter server extension: `/jelai/*` for the frontend.

Standalone it keeps the record in its own store and calls the model server
itself; in hub mode (`c.Jelai.service_url`) it stores nothing and relays to
the course's service (`relay.py`).

- `app.py`: loads the extension (configuration, store, routes).
- `routes.py`: every route, in one place.
- `base.py`: the handler base: JSON errors, the shared context, the user.
- `identity.py`: whom the server runs for, and who is an instructor.
- `handlers.py`, `tutor_handlers.py`, `insight_handlers.py`,
  `proxy_handler.py`: thin handlers over `record`, `gateway` and `insight`.
"""

from __future__ import annotations

from typing import Any


def _load_jupyter_server_extension(serverapp: Any) -> None:
    # Imported here so `import jelai.server` stays light until a server loads it.
    from .app import load_jupyter_server_extension

    load_jupyter_server_extension(serverapp)
