"""JupyterLab as the real-model UI test sees it (playwright-real-model.config.js):
the same server as jupyter_server_test_config.py, with its one model server
SmolLM2 on llama.cpp's OpenAI-compatible server, at $JELAI_REAL_MODEL_PORT,
instead of the fake Ollama."""

import os

load_subconfig("jupyter_server_test_config.py")  # noqa: F821

model = "SmolLM2-135M-Instruct"  # the name tests/real_model.py serves it by
port = os.environ.get("JELAI_REAL_MODEL_PORT", "11556")
c.JelaiTutor.upstreams = [  # noqa: F821
    {"url": f"http://127.0.0.1:{port}", "api": "openai", "models": [model]}
]
c.JelaiTutor.models = [model]  # noqa: F821
c.JelaiTutor.default_model = model  # noqa: F821
# Deterministic and short, so a reply takes seconds on two cores.
c.JelaiTutor.model_options = {"temperature": 0, "num_predict": 48}  # noqa: F821
c.JelaiTutor.context_window = 4096  # noqa: F821 (the server's n_ctx, tests/real_model.py)
