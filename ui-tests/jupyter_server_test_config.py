"""JupyterLab as the UI tests see it: galata's defaults, jelai on a fresh
data directory and the fake Ollama started beside it."""

import getpass
import shutil
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
# The test user is an instructor of a class whose only data folder is its own.
c.Jelai.instructors = [getpass.getuser()]  # noqa: F821
c.Jelai.class_data_dir = str(data_dir)  # noqa: F821
