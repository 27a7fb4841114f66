"""`jelai eval`: the command line of the evaluation.

    jelai eval --openai-url http://127.0.0.1:8765 --model SmolLM2-135M-Instruct --out eval-report
    jelai eval --ollama-url http://127.0.0.1:11434 --model qwen2.5:1.5b --model llama3.2:3b
    jelai eval --config /etc/jelai/jelai_service_config.py --out eval-report

The model servers and the course's tutor settings (`c.JelaiTutor`: its
upstreams, model options, mode, system prompt, snippet limit, context
window) come from `--config`, a traitlets config file such as the course
service's or a `jupyter_server_config.py`; `--ollama-url` / `--openai-url`
name one server instead. The models are the `--model`s, else every model
the configured upstreams list, else `default_model`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from .. import __version__
from ..config import JelaiTutor
from ..gateway.upstreams import configured
from ..record.events import utc_time
from .checks import DEFAULT_MAX_WORDS, Check
from .context import ContextUnavailable, check_builder, node
from .report import write
from .runner import Result, run, totals
from .scenarios import ScenarioError, load_all, select


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Adds `eval` to jelai's command line."""
    parser = commands.add_parser(
        "eval",
        help="see how a model tutors: scenarios through the gateway, checked, with a report",
        description=(
            "Ask a model (or several) the tutor's evaluation scenarios through the gateway, "
            "check each reply and write a report (report.md, report.html, chart.vl.json, "
            "results.json)."
        ),
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="a model to evaluate (repeat for several side by side)",
    )
    parser.add_argument("--config", type=Path, help="a config file with c.JelaiTutor settings")
    parser.add_argument("--ollama-url", help="an Ollama server, e.g. http://127.0.0.1:11434")
    parser.add_argument(
        "--openai-url", help="an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1"
    )
    parser.add_argument(
        "--api-key-env",
        help="the environment variable holding the OpenAI-compatible server's key",
    )
    parser.add_argument(
        "--scenarios",
        type=Path,
        action="append",
        help="scenario files or folders (default: jelai's own); repeatable",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help=(
            "only this scenario, by its id or its file's name "
            "(first-error-keyerror or 01-first-error-keyerror); repeatable"
        ),
    )
    parser.add_argument(
        "--out", type=Path, default=Path("jelai-eval"), help="folder for the report"
    )
    parser.add_argument(
        "--temperature", type=float, help="sampling temperature (default: the course's options)"
    )
    parser.add_argument("--seed", type=int, help="sampling seed")
    parser.add_argument(
        "--num-predict", type=int, help="most tokens per reply (default: the course's options)"
    )
    parser.add_argument(
        "--context-window",
        type=int,
        help=(
            "the model's context window in tokens: Ollama is asked for it (num_ctx); an "
            "OpenAI-compatible server sets its own, give it here (default: the course's, "
            "else 8192)"
        ),
    )
    parser.add_argument(
        "--max-words",
        type=int,
        default=DEFAULT_MAX_WORDS,
        help=f"longest reply, in words of prose, the length check allows ({DEFAULT_MAX_WORDS})",
    )


def tutor_config(args: argparse.Namespace) -> JelaiTutor:
    """The tutor's settings: the config file's, then the command's."""
    config = Config()
    if args.config is not None:
        if not args.config.is_file():
            raise SystemExit(f"jelai eval: error: {args.config} is not a file")
        loader = PyFileConfigLoader(args.config.name, path=str(args.config.parent.absolute()))
        config = loader.load_config()
    cfg = JelaiTutor(config=config)
    if args.ollama_url and args.openai_url:
        raise SystemExit("jelai eval: error: give --ollama-url or --openai-url, not both")
    if args.ollama_url or args.openai_url:
        upstream = {"url": args.ollama_url or args.openai_url}
        if args.openai_url:
            upstream["api"] = "openai"
        if args.api_key_env:
            upstream["api_key"] = os.environ.get(args.api_key_env, "")
        cfg.upstreams = [upstream]
    options = dict(cfg.model_options)
    for name, value in (
        ("temperature", args.temperature),
        ("seed", args.seed),
        ("num_predict", args.num_predict),
    ):
        if value is not None:
            options[name] = value
    cfg.model_options = options
    if args.context_window is not None:
        cfg.context_window = args.context_window
    # The scenarios are the students: every model asked is allowed.
    cfg.models = []
    return cfg


def models(args: argparse.Namespace, cfg: JelaiTutor) -> list[str]:
    """The models to ask: `--model`, else those the upstreams list, else the default."""
    if args.model:
        return list(dict.fromkeys(args.model))
    listed = [m for spec in configured(cfg) for m in spec.models]
    return list(dict.fromkeys(listed)) or [cfg.default_model]


def window_assumed(cfg: JelaiTutor) -> bool:
    """Whether the context window is jelai's default while a model server sets
    its own: an OpenAI-compatible server fixes it when it loads the model, and
    nothing in its API tells it."""
    section = cfg.config["JelaiTutor"] if "JelaiTutor" in cfg.config else {}
    chosen = "context_window" in section or "num_ctx" in cfg.model_options
    return not chosen and any(spec.api == "openai" for spec in configured(cfg))


def verdict(check: Check) -> str:
    """A check's result in words: `leak passed`, `error failed`, `length 0.50 of 1`."""
    if check.score >= 1.0:
        return f"{check.name} passed"
    if check.score <= 0.0:
        return f"{check.name} failed"
    return f"{check.name} {check.score:.2f} of 1"


def _progress(result: Result) -> None:
    marks = ", ".join(verdict(c) for c in result.checks)
    state = "" if result.status == "finished" else f" {result.status}: {result.error}"
    print(f"  {result.model} {result.scenario}{state}: {marks}", file=sys.stderr, flush=True)


def main(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Runs `jelai eval`; 0 when the report was written, 2 for a refused command."""
    try:
        node()
        check_builder()
        scenarios = load_all(args.scenarios)
        if args.only:
            scenarios = select(scenarios, args.only)
    except (ContextUnavailable, ScenarioError) as error:
        print(f"jelai eval: error: {error}", file=sys.stderr)
        return 2
    cfg = tutor_config(args)
    names = models(args, cfg)
    assumed = args.context_window is None and window_assumed(cfg)
    print(
        f"jelai eval: {len(scenarios)} scenarios, models {', '.join(names)}",
        file=sys.stderr,
    )
    if assumed:
        print(
            "jelai eval: an OpenAI-compatible server sets its own context window when it "
            f"loads the model; this run assumes {cfg.context_window} tokens. Give the "
            "server's with --context-window: llama.cpp's server takes it as --n_ctx "
            "(2048 unless given; scripts/real_model.sh prints a command with 4096).",
            file=sys.stderr,
        )
    try:
        results = asyncio.run(run(cfg, names, scenarios, args.max_words, _progress))
    except ContextUnavailable as error:
        print(f"jelai eval: error: {error}", file=sys.stderr)
        return 2
    options = ", ".join(f"{k} {v}" for k, v in sorted(cfg.model_options.items()))
    meta = {
        "created": utc_time(),
        "version": __version__,
        "command": "jelai " + shlex.join(argv),
        "settings": (
            f"mode {cfg.mode}, max_code_lines {cfg.max_code_lines}, context window "
            f"{cfg.context_window} tokens{' (assumed)' if assumed else ''}, "
            f"model options: {options or 'none'}, "
            f"max_words {args.max_words}"
        ),
        "models": names,
    }
    written = write(args.out, results, scenarios, names, meta)
    for name in names:
        t = totals(results, name)
        leak = "–" if t.leak_rate is None else f"{t.leak_rate:.0%}"
        followed = "–" if t.followed_rate is None else f"{t.followed_rate:.0%}"
        print(f"{name}: leak rate {leak}, followed the rules {followed}", file=sys.stderr)
    print(f"jelai eval: report written to {written[0].parent}")
    return 0
