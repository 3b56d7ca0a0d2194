"""llama.cpp's OpenAI-compatible server, run in this process by xllamacpp on a free loopback port."""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import LocalServerError
from qa.ports import free_port

if TYPE_CHECKING:
    from qa.llm import LlmConfig

log = logging.getLogger(__name__)

# llama.cpp's common log levels: 1 errors (what we run with unless asked: its load and slot warnings
# are noise to a reader of `qa ask`), 2 warnings, 3 info (its default), 4 debug.
LLAMA_LOG_ERRORS = 1
_TOKENIZE_TIMEOUT_S = 30.0


class LocalLlamaServer:
    """llama.cpp's OpenAI-compatible HTTP server, run in this process on a free loopback port."""

    _START_ATTEMPTS = 3  # the free port can be taken between probing and binding; a new one fixes that

    def __init__(
        self,
        gguf: Path,
        *,
        context_window: int = 4096,
        threads: int = 2,
        verbosity: int = LLAMA_LOG_ERRORS,
    ) -> None:
        self.gguf = Path(gguf)
        self.context_window = context_window
        self.threads = threads
        self.verbosity = verbosity
        # A per-process key: the server allows any CORS origin, so without a key any web page open in a
        # browser on this machine could use the model through the loopback port.
        self.api_key = secrets.token_urlsafe(24)
        self._server: Any = None
        self._address: str | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, gguf: Path, config: LlmConfig) -> LocalLlamaServer:
        """A server for `gguf` with the context window, threads and log level of `config`."""
        return cls(
            gguf,
            context_window=config.llm_context_window,
            threads=config.llm_threads,
            verbosity=config.llm_log_level,
        )

    def _params(self, port: int) -> Any:
        import xllamacpp as xlc

        p = xlc.CommonParams()
        p.model.path = str(self.gguf)
        p.n_ctx = self.context_window
        p.hostnames = ["127.0.0.1"]
        p.port = port
        p.cpuparams.n_threads = self.threads
        p.cpuparams_batch.n_threads = self.threads
        p.sampling.temp = 0.0  # requests send their own temperature; this is the deterministic fallback
        p.verbosity = self.verbosity
        p.api_keys = [self.api_key]
        p.ui = False  # the bundled chat web page is not part of the product
        # llama.cpp's own counters of prompt reading and decoding (behind the API key, like the rest):
        # what bench/llm_latency.py sets the product's timings beside.
        p.endpoint_metrics = True
        return p

    @property
    def running(self) -> bool:
        """Whether the server is started."""
        return self._server is not None

    def start(self) -> None:
        """Load the model and start serving, once; later calls return at once."""
        with self._lock:
            if self._server is not None:
                return
            import xllamacpp as xlc

            started = time.perf_counter()
            for attempt in range(1, self._START_ATTEMPTS + 1):
                try:
                    # Returns once the model is loaded and the port is listening.
                    server = xlc.Server(self._params(free_port()))
                    break
                except RuntimeError as exc:
                    if attempt == self._START_ATTEMPTS:
                        raise LocalServerError(
                            f"llama.cpp could not start a server for {self.gguf} ({exc}); its log lines on "
                            "stderr say why (a damaged model file, too little memory, ...)."
                        ) from exc
            self._server = server
            self._address = str(server.listening_address)
            log.info(
                "Local LLM %s serving at %s (ready in %.1f s)",
                self.gguf.name,
                self._address,
                time.perf_counter() - started,
            )

    @property
    def base_url(self) -> str:
        """The server's root URL (`http://127.0.0.1:PORT`), starting it if needed; add `/v1` for OpenAI."""
        self.start()
        assert self._address is not None
        return self._address

    def close(self) -> None:
        """Stop serving and free the model; `start` may be called again later."""
        with self._lock:
            server, self._server, self._address = self._server, None, None
        # Dropping the last reference runs the C++ destructor, which stops the HTTP loop and joins it.
        del server

    def count_prompt_tokens(self, messages: Sequence[tuple[str, str]]) -> int:
        """Tokens the model reads for these (role, text) messages: its chat template, its tokenizer."""
        payload = [{"role": role, "content": text} for role, text in messages]
        prompt = self._post("/apply-template", {"messages": payload})["prompt"]
        return len(self._post("/tokenize", {"content": prompt, "add_special": True})["tokens"])

    def runtime_counters(self) -> dict[str, float]:
        """llama.cpp's cumulative counters since start (`prompt_tokens_total`, `prompt_seconds_total`,
        `tokens_predicted_total`, `tokens_predicted_seconds_total`, ...), from its /metrics endpoint."""
        counters: dict[str, float] = {}
        for line in self._request("/metrics").decode("utf-8").splitlines():
            name, _, value = line.partition(" ")
            if name.startswith("llamacpp:") and value:
                counters[name.removeprefix("llamacpp:")] = float(value)
        return counters

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = json.loads(self._request(path, body))
        return reply

    def _request(self, path: str, body: dict[str, Any] | None = None) -> bytes:
        """GET `path` (POST `body` as JSON when given) with this server's key; the response body."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers)
        # No proxy: an HTTP(S)_PROXY in the environment must not see the prompt (or be unable to reach us).
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=_TOKENIZE_TIMEOUT_S) as response:
            payload: bytes = response.read()
        return payload

    def __enter__(self) -> LocalLlamaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
