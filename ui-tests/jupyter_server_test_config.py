"""JupyterLab as the UI tests see it: galata's defaults, jelai on a fresh
data directory and the fake Ollama started beside it."""

import getpass
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821

data_dir = Path(__file__).parent / ".jupyter-data"
shutil.rmtree(data_dir, ignore_errors=True)
data_dir.mkdir()

c.ServerApp.allow_root = True  # noqa: F821
# jupyter-collaboration is installed for one test (playwright-collaborative.config.js
# turns it on); every other test sees JupyterLab without it.
c.YDocExtension.disable_rtc = True  # noqa: F821
# Its documents and file ids in the fresh data directory, not the working folder.
c.SQLiteYStore.db_path = str(data_dir / "ystore.db")  # noqa: F821
c.BaseFileIdManager.db_path = str(data_dir / "file_id.db")  # noqa: F821
c.Jelai.data_dir = str(data_dir / "jelai")  # noqa: F821
c.JelaiTutor.ollama_url = "http://127.0.0.1:11555"  # noqa: F821
c.JelaiTutor.default_model = "llama3.1:8b"  # noqa: F821
# The test user is an instructor; two students' runs are in the store already.
c.Jelai.instructors = [getpass.getuser()]  # noqa: F821


def _seed_class(store_dir: Path) -> None:
    from jelai.store import EventStore

    now = datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    store = EventStore(store_dir / "events.sqlite3")
    for user, runs in (("ana", 2), ("bob", 1)):
        event = {
            "schema_version": 1,
            "time": now,
            "session": f"{user}-page",
            "notebook": "lab1.ipynb",
            "type": "cell.execute",
            "cell": {"id": "cell-a", "index": 0, "type": "code"},
            "data": {"source": "print(1)", "success": True, "outcome": "ok"},
        }
        store.add(user, [{**event, "id": str(uuid.uuid4())} for _ in range(runs)])
    store.close()


_seed_class(data_dir / "jelai")
