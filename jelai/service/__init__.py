"""`jelai service`: the JupyterHub service that holds a course's authority.

In a course every student controls their browser, their Jupyter server and
its kernel, so the record cannot live there. This service, run by the hub
(`c.JupyterHub.services`) or beside it, is the one writer of the course's
event store: it learns who is asking from JupyterHub (the caller's token or
the browser's OAuth cookie, never a name in the request), lets students
append their own events and read their own record, and lets only
instructors read the class. Students' servers relay to it
(`c.Jelai.service_url`).

- `config.py`: the service's settings (`c.JelaiService.*`).
- `identity.py`: who a hub user model is and whether they read the class.
- `limits.py`: per-student ingest limits.
- `handlers.py`: the HTTP API, thin handlers over the store and insight.
- `app.py`: the application: configuration, store, routes, the listener.
"""
