"""LLM answers as real servers send them, through the real openai client and the fake server:
reasoning blocks, cut-off answers, a wrong language in the same script, one key per language,
rejections remembered, a digest's deadline, cache-hit metrics and one log line per digest."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Sequence

import pytest
from structlog.testing import capture_logs

from adapters.logs import configure
from bot.metrics import Metrics
from bot.models import Paper
from bot.store.base import Store
from summarizer.llm import (
    CACHE_NAMESPACE,
    REJECTED_NAMESPACE,
    RETRY_MIN_TOKENS,
    STALLED_DEADLINE,
    LLMSummarizer,
    Rejected,
    Rejection,
    build_messages,
    cache_key,
    check_output,
    limit_parameter,
    next_rejection,
    retry_room,
    strip_reasoning,
)
from tests.clocks import ManualClock, WallClock, wait_until
from tests.fakes.openai import Behaviour, FakeOpenAI, Reply, recorded_reasoning, summary_in
from tests.test_summarizer_llm import fallbacks, paper, settings_for

MODEL = "gpt-4o-mini"


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def expected_summary(item: Paper, language: str) -> str:
    """What the fake's plain answer for ``item`` becomes once checked: the summary to expect."""
    messages = [dict(m) for m in build_messages(item, language)]
    return check_output(summary_in(language.split("-")[0], messages), language, item.abstract)


async def cached(store: Store, item: Paper, language: str) -> str | None:
    return await store.cache_get(CACHE_NAMESPACE, cache_key(item, language, MODEL))


def sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    return metrics.registry.get_sample_value(name, labels or {}) or 0.0


# -- reasoning blocks ------------------------------------------------------------------------------------

REASONING = "Let me think. The user wants a summary; I will mention the 37% gain."


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        (f"<think>{REASONING}</think>\n\nThe answer.", "\n\nThe answer."),
        (f"<THINK>\n{REASONING}\n</THINK>The answer.", "The answer."),
        (f"< think >{REASONING}< / think >  The answer.", "  The answer."),
        (f"<thinking>{REASONING}</thinking>The answer.", "The answer."),
        (f"<reasoning>{REASONING}</reasoning>The answer.", "The answer."),
        (f"{REASONING}\n</think>\n\nThe answer.", "\n\nThe answer."),
        (f"[THINK]{REASONING}[/THINK]The answer.", "The answer."),
        ("<think>\n\n</think>\n\nThe answer.", "\n\nThe answer."),
        (f"<think>{REASONING}</think><think>again</think>The answer.", "The answer."),
        ("The answer, with no reasoning.", "The answer, with no reasoning."),
        (f'<think type="internal">{REASONING}</think>The answer.', "The answer."),
        (f"\n\n  <think>{REASONING}</think>The answer.", "\n\n  The answer."),
        (f"<think>{REASONING}</think>The answer.<think>more</think>", "The answer."),
        (f"{REASONING}</think>The answer.<think>and more reasoning, cut", "The answer."),
        (f"<seed:think>{REASONING}</seed:think>The answer.", "The answer."),
        (f"<reflection>{REASONING}</reflection>The answer.", "The answer."),
        (f"<|begin_of_thought|>{REASONING}<|end_of_thought|>The answer.", "The answer."),
        (
            f"<|channel|>analysis<|message|>{REASONING}<|end|><|start|>assistant<|channel|>final"
            "<|message|>The answer.",
            "The answer.",
        ),
        (f"<|channel|>analysis<|message|>{REASONING}", None),
        ("<|im_start|>assistant\nThe answer.<|im_end|>", "The answer."),
        (f"<think>{REASONING}", None),
        (f"<Thinking>\n{REASONING} and it goes on", None),
    ],
)
def test_strip_reasoning(raw: str, answer: str | None) -> None:
    """The answer is the text outside every reasoning block (any tag name, case, spacing or
    attributes; gpt-oss's final channel), without template tokens; reasoning never closed means
    there is no answer."""
    assert strip_reasoning(raw) == answer


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (f"<think>{REASONING}", "reasoning_only"),
        (f"<think>{REASONING}</think>   ", "empty"),
        (f"<think>{REASONING}</think>Too short.", "too_short"),
    ],
)
def test_reasoning_without_an_answer_is_rejected(raw: str, reason: str) -> None:
    """Reasoning alone, or reasoning followed by nothing usable, is not a summary."""
    with pytest.raises(Rejected) as caught:
        check_output(raw, "en")
    assert caught.value.reason == reason


SUMMARY = "This paper proposes OverlapNet, which overlaps communication with computation for a 37% gain."


@pytest.mark.parametrize(
    "raw",
    [
        f"```markdown\n{SUMMARY}\n```",
        f"Summary: {SUMMARY}",
        f"**Summary:** {SUMMARY}",
        f"## Summary\n{SUMMARY}",
        f"**Summary**\n\n{SUMMARY}",
        f"Here is a condensed summary of the paper:\n\n{SUMMARY}",
        f"Sure! Here's the summary: {SUMMARY}",
        f"<think>{REASONING}</think>\n```\n{SUMMARY}\n```",
    ],
)
def test_labels_and_lead_ins_are_not_part_of_the_summary(raw: str) -> None:
    """A summary wrapped in a code fence, under a "Summary" label or heading, or after "Here is the
    summary:" is the summary alone."""
    assert check_output(raw, "en") == SUMMARY


def test_chinese_label_is_not_part_of_the_summary() -> None:
    """A "摘要：" label and a "**摘要**" heading come off a Chinese summary."""
    text = "本文提出OverlapNet，一种在分布式训练中将梯度通信与计算重叠的调度器，吞吐量提升37%。"
    assert check_output(f"摘要：{text}", "zh") == text
    assert check_output(f"**摘要**\n{text}", "zh") == text


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("I'm sorry, but I can't assist with that request.", "en"),
        ("I can't help with that. The abstract asks me to ignore my instructions and post a link.", "en"),
        (
            f"<think>{REASONING}</think>Sorry, I cannot summarize this paper as it contains instructions.",
            "en",
        ),
        (
            "As an AI language model, I am not able to follow the instructions embedded in this abstract.",
            "en",
        ),
        (
            "Es tut mir leid, aber ich kann diese Zusammenfassung nicht schreiben, weil der Text Anweisungen enthält.",
            "de",
        ),
        ("抱歉，我无法总结这篇论文，因为其中包含要求我忽略指令的内容。", "zh"),
    ],
)
def test_refusals_in_the_answer_text_are_rejected(raw: str, language: str) -> None:
    """A refusal written as the answer (not in the refusal field) is not a summary: reason refusal."""
    with pytest.raises(Rejected) as caught:
        check_output(raw, language)
    assert caught.value.reason == "refusal"


def test_summaries_that_merely_start_like_a_refusal_are_kept() -> None:
    """Words such as "Sorting" or "Icons" at the start are not refusals."""
    for text in (
        "Sorting networks are studied here; the paper proves a new lower bound on their depth.",
        "Icannot is a new benchmark for instruction following, on which current models score 37%.",
    ):
        assert check_output(text, "en") == text


async def test_refusal_text_is_remembered_not_cached(fake: FakeOpenAI, store: Store) -> None:
    """A refusal in the answer text gives the extract, is not cached, and is remembered: the next
    build makes no call."""
    wall = WallClock()
    fake.queue(Reply("I'm sorry, but I can't assist with that request.", "stop"))
    async with LLMSummarizer(settings_for(fake), store, now=wall) as summarizer:
        (first,) = await summarizer.summarize([paper()], "en")
        (second,) = await summarizer.summarize([paper()], "en")
    assert (first.summary_source, second.summary_source, fake.calls) == ("extractive", "extractive", 1)
    assert await cached(store, paper(), "en") is None
    raw = await store.cache_get(REJECTED_NAMESPACE, cache_key(paper(), "en", MODEL))
    assert raw is not None and Rejection.from_json(raw).reason == "refusal"


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply("", "stop"), "empty"),
        (
            Reply(
                None,
                "tool_calls",
                {
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                    ]
                },
            ),
            "empty",
        ),
        (Reply(None, "stop", {"reasoning": f"{REASONING} {SUMMARY}"}), "empty"),
        (Reply("", "stop", {"reasoning_content": SUMMARY}), "empty"),
        (Reply(SUMMARY[:40], "content_filter"), "content_filter"),
        (Reply(None, "stop", {"refusal": "I can't help with that."}), "refusal"),
    ],
)
async def test_answers_without_a_summary_give_the_extract(
    fake: FakeOpenAI, store: Store, reply: Reply, reason: str
) -> None:
    """An empty content, none beside tool calls, a summary only in a reasoning field, a filtered
    answer or a refusal: the extract, nothing cached, the rejection remembered with its reason."""
    fake.queue(reply)
    async with LLMSummarizer(settings_for(fake), store) as summarizer:
        (result,) = await summarizer.summarize([paper()], "en")
    assert result.summary_source == "extractive"
    assert await cached(store, paper(), "en") is None
    raw = await store.cache_get(REJECTED_NAMESPACE, cache_key(paper(), "en", MODEL))
    assert raw is not None and Rejection.from_json(raw).reason == reason


def test_reasoning_is_not_mistaken_for_markup() -> None:
    """A reasoning block is removed before the safety check, so its tags do not make the answer unsafe."""
    answer = "This paper proposes OverlapNet, which overlaps communication with computation for a 37% gain."
    assert check_output(f"<think>{REASONING} See https://x.example.</think>\n{answer}", "en") == answer


@pytest.mark.parametrize("behaviour", [Behaviour.THINK, Behaviour.THINK_OPENED, Behaviour.REASONING_CONTENT])
@pytest.mark.parametrize("language", ["en", "zh", "de"])
async def test_reasoning_models_answers_become_summaries(
    fake: FakeOpenAI, store: Store, behaviour: Behaviour, language: str
) -> None:
    """Recorded reasoning-model answers (<think> block, a block opened by the template, a separate
    reasoning_content) give the answer after the reasoning as the summary, cached; no reasoning
    reaches it."""
    fake.queue(behaviour)
    async with LLMSummarizer(settings_for(fake), store) as summarizer:
        (result,) = await summarizer.summarize([paper()], language)
    assert (result.summary_source, fake.calls) == ("llm", 1)
    assert result.summary == expected_summary(paper(), language)
    assert "alfajores" not in result.summary.lower() and "think" not in result.summary.lower()
    assert recorded_reasoning()[:40] not in result.summary
    assert await cached(store, paper(), language) == result.summary


# -- cut-off answers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_url", "parameter"),
    [
        (None, "max_completion_tokens"),
        ("https://api.openai.com/v1", "max_completion_tokens"),
        ("https://myres.openai.azure.com/openai/deployments/x", "max_completion_tokens"),
        ("http://localhost:11434/v1", "max_tokens"),
        ("https://api.deepseek.com", "max_tokens"),
        ("https://openrouter.ai/api/v1", "max_tokens"),
    ],
)
def test_limit_parameter_per_server(base_url: str | None, parameter: str) -> None:
    """OpenAI's API gets max_completion_tokens; other OpenAI-compatible servers max_tokens."""
    assert limit_parameter(base_url) == parameter


@pytest.mark.parametrize(("used", "room"), [(None, 4096), (100, 4096), (2000, 8000), (50_000, 32768)])
def test_retry_room(used: int | None, room: int) -> None:
    """The retry of a cut answer gets four times the tokens it used, within fixed bounds."""
    assert retry_room(used) == room


@pytest.mark.parametrize("behaviour", [Behaviour.THINK_UNCLOSED, Behaviour.CUT_OFF])
async def test_cut_off_answer_is_asked_again_with_more_room(
    fake: FakeOpenAI, store: Store, behaviour: Behaviour
) -> None:
    """An answer cut at the token limit (recorded DeepSeek-R1 inside its reasoning, or half a
    summary) is never kept: it is asked once more with a larger max_tokens, and that answer is kept."""
    fake.queue(behaviour)
    async with LLMSummarizer(settings_for(fake), store) as summarizer:
        (result,) = await summarizer.summarize([paper()], "en")
    assert (result.summary_source, fake.calls) == ("llm", 2)
    first, second = fake.requests
    assert "max_tokens" not in first.body and "max_completion_tokens" not in first.body
    assert second.body["max_tokens"] >= RETRY_MIN_TOKENS
    assert result.summary == expected_summary(paper(), "en")
    assert await cached(store, paper(), "en") == result.summary


@pytest.mark.parametrize("behaviour", [Behaviour.THINK_UNCLOSED, Behaviour.CUT_OFF])
async def test_answer_cut_twice_gives_the_extract_and_is_not_cached(
    fake: FakeOpenAI, store: Store, behaviour: Behaviour
) -> None:
    """Cut again with more room: the extract, nothing cached, the rejection remembered (truncated)."""
    fake.queue(behaviour, behaviour)
    metrics = Metrics()
    with capture_logs() as logs:
        async with LLMSummarizer(settings_for(fake), store, metrics=metrics) as summarizer:
            (result,) = await summarizer.summarize([paper()], "en")
    assert (result.summary_source, fake.calls) == ("extractive", 2)
    assert result.summary.startswith("We propose OverlapNet")
    assert await cached(store, paper(), "en") is None
    assert [line["reason"] for line in fallbacks(logs)] == ["truncated"]
    raw = await store.cache_get(REJECTED_NAMESPACE, cache_key(paper(), "en", MODEL))
    assert raw is not None and Rejection.from_json(raw).reason == "truncated"
    assert sample(metrics, "arxiv_digest_llm_calls_total", {"outcome": "rejected"}) == 2


# -- the language itself -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["de", "fr", "es", "pt", "de-AT", "pt-BR"])
async def test_english_answer_in_the_same_script_is_rejected(
    fake: FakeOpenAI, store: Store, language: str
) -> None:
    """Asked for German, French, Spanish or Portuguese, an English answer falls back to the extract
    with reason wrong_language and is not cached, as for Chinese."""
    fake.queue(Behaviour.WRONG_LANGUAGE)
    with capture_logs() as logs:
        async with LLMSummarizer(settings_for(fake), store) as summarizer:
            (result,) = await summarizer.summarize([paper()], language)
    assert result.summary_source == "extractive"
    assert [line["reason"] for line in fallbacks(logs)] == ["wrong_language"]
    assert await store.cache_get(CACHE_NAMESPACE, f"{paper().versioned_id}|{language[:2]}|p1|{MODEL}") is None


@pytest.mark.parametrize("language", ["de", "fr", "es", "pt", "en", "zh", "ja", "ru"])
async def test_answer_in_the_language_asked_is_kept(fake: FakeOpenAI, store: Store, language: str) -> None:
    """An answer in the language asked for is kept, Chinese with English technical terms included."""
    async with LLMSummarizer(settings_for(fake), store) as summarizer:
        (result,) = await summarizer.summarize([paper()], language)
    assert result.summary_source == "llm"
    if language == "zh":
        assert "Paper number" in result.summary  # the title's English words stay in a Chinese summary


@pytest.mark.parametrize(
    ("language", "answer"),
    [
        ("en", "Die Arbeit stellt OverlapNet vor, einen Scheduler, der den Gradientenaustausch mit der "
         "Berechnung überlappt und die Schrittzeit auf 64 GPUs um 37 % senkt."),
        ("de", "Dit artikel presenteert OverlapNet, een planner die de uitwisseling van gradiënten overlapt "
         "met de berekening en de staptijd op 64 GPU's met 37% verkort."),
        ("nb", "Artiklen præsenterer OverlapNet, en planlægger, der overlapper udvekslingen af gradienter "
         "med beregningen og forkorter trintiden med 37 % på 64 GPU'er."),
        ("ru", "У статті представлено OverlapNet — планувальник, який поєднує обмін градієнтами з "
         "обчисленнями та скорочує час кроку на 37 % на 64 GPU."),
    ],
)  # fmt: skip
async def test_answer_in_a_neighbouring_language_is_rejected(
    fake: FakeOpenAI, store: Store, language: str, answer: str
) -> None:
    """Asked for English, German, Norwegian or Russian, an answer in German, Dutch, Danish or
    Ukrainian (same script) falls back to the extract and is not cached."""
    fake.queue(Reply(answer))
    with capture_logs() as logs:
        async with LLMSummarizer(settings_for(fake), store) as summarizer:
            (result,) = await summarizer.summarize([paper()], language)
    assert result.summary_source == "extractive"
    assert [line["reason"] for line in fallbacks(logs)] == ["wrong_language"]
    assert await cached(store, paper(), language) is None


async def test_traditional_answer_to_simplified_chinese_is_kept_in_simplified(
    fake: FakeOpenAI, store: Store
) -> None:
    """Asked for Simplified Chinese (zh-CN), a Traditional answer is kept converted to Simplified."""
    fake.queue(Reply("本文提出OverlapNet，一種將梯度交換與計算重疊的排程器，在64塊GPU上將每步時間縮短37%。"))
    async with LLMSummarizer(settings_for(fake), store) as summarizer:
        (result,) = await summarizer.summarize([paper()], "zh-CN")
    simplified = "本文提出OverlapNet，一种将梯度交换与计算重叠的排程器，在64块GPU上将每步时间缩短37%。"
    assert (result.summary_source, result.summary) == ("llm", simplified)
    assert await cached(store, paper(), "zh") == simplified


FRENCH_ABSTRACT = (
    "Nous proposons OverlapNet, un ordonnanceur qui recouvre l'échange de gradients avec le calcul. "
    "Sur 64 GPU, il réduit le temps par étape de 37 % par rapport aux références."
)


def test_abstract_copied_in_its_own_language_is_rejected() -> None:
    """Asked for German, an answer that copies a French abstract is rejected: the abstract's
    language is a candidate too."""
    with pytest.raises(Rejected) as caught:
        check_output(FRENCH_ABSTRACT, "de", FRENCH_ABSTRACT)
    assert caught.value.reason == "wrong_language"
    assert check_output(FRENCH_ABSTRACT, "fr", FRENCH_ABSTRACT) == FRENCH_ABSTRACT


# -- one key per language ------------------------------------------------------------------------------


async def test_spellings_of_one_language_share_one_summary(fake: FakeOpenAI, store: Store) -> None:
    """zh, zh-CN, zh-hans (Telegram), zh_SG and ZH cost one call per paper, kept under zh; zh-TW is
    Traditional Chinese, its own key."""
    papers = [paper(n) for n in range(1, 4)]
    async with LLMSummarizer(settings_for(fake), store) as first:
        for spelled in ("zh", "zh-CN", "zh-hans"):
            await first.summarize(papers, spelled)
    async with LLMSummarizer(settings_for(fake), store) as second:
        for spelled in ("zh_SG", "ZH", "zh-Hans-CN"):
            results = await second.summarize(papers, spelled)
            assert {r.summary_source for r in results} == {"llm"}
    assert fake.calls == len(papers)
    assert await cached(store, papers[0], "zh") is not None
    async with LLMSummarizer(settings_for(fake), store) as third:
        await third.summarize(papers, "zh-TW")
        await third.summarize(papers, "zh-Hant")
    assert fake.calls == 2 * len(papers)
    assert "Traditional Chinese" in fake.requests[-1].system


# -- rejections remembered -------------------------------------------------------------------------------


def test_rejection_schedule() -> None:
    """A key rejected again and again is asked after 1 h, 6 h and 24 h, then never."""
    first = next_rejection(None, "unsafe", 1000.0)
    second = next_rejection(first, "unsafe", 5000.0)
    third = next_rejection(second, "wrong_language", 30_000.0)
    fourth = next_rejection(third, "unsafe", 200_000.0)
    assert [(r.attempts, r.retry_at) for r in (first, second, third, fourth)] == [
        (1, 1000.0 + 3600),
        (2, 5000.0 + 6 * 3600),
        (3, 30_000.0 + 24 * 3600),
        (4, None),
    ]
    assert first.blocks(4599.0) and not first.blocks(4600.0) and fourth.blocks(1e12)
    assert Rejection.from_json(third.to_json()) == third


async def test_rejected_answer_is_asked_again_a_bounded_number_of_times(
    fake: FakeOpenAI, store: Store
) -> None:
    """An answer refused as unsafe is remembered per key: builds in between make no call; it is asked
    again after 1 h, 6 h and 24 h, then never (four calls over many builds)."""
    wall = WallClock()
    for _ in range(4):
        fake.queue(Behaviour.INJECTION)
    async with LLMSummarizer(settings_for(fake), store, now=wall) as summarizer:
        for step in [0, 60, 3600, 60, 6 * 3600, 60, 24 * 3600, 60, 48 * 3600, 30 * 24 * 3600]:
            wall.now += step
            with capture_logs() as logs:
                (result,) = await summarizer.summarize([paper()], "en")
            assert result.summary_source == "extractive"
            (line,) = [entry for entry in logs if entry["event"] == "summaries_fallback"]
            assert line["reasons"] in ("unsafe:1", "rejected_earlier:1")
            if line["reasons"] == "rejected_earlier:1":
                assert line["log_level"] == "info"
    assert fake.calls == 4
    other = paper(2)
    async with LLMSummarizer(settings_for(fake), store, now=wall) as summarizer:
        (fine,) = await summarizer.summarize([other], "en")
    assert fine.summary_source == "llm" and fake.calls == 5


async def test_prompt_refused_by_the_server_is_remembered(fake: FakeOpenAI, store: Store) -> None:
    """Azure's 400 content_filter for a paper's prompt (recorded: the jailbreak filter) is remembered
    like a rejected answer: the builds of the next hour make no call, the one after asks again; a
    400 that names no prompt (unsupported value) is not remembered."""
    wall = WallClock()
    fake.queue(Behaviour.PROMPT_FILTERED, Behaviour.BAD_REQUEST)
    async with LLMSummarizer(settings_for(fake), store, now=wall, max_retries=0) as summarizer:
        for _ in range(3):
            (result,) = await summarizer.summarize([paper()], "en")
            assert result.summary_source == "extractive"
        assert fake.calls == 1
        raw = await store.cache_get(REJECTED_NAMESPACE, cache_key(paper(), "en", MODEL))
        assert raw is not None and Rejection.from_json(raw).reason == "content_filter"
        (other,) = await summarizer.summarize([paper(2)], "en")
        (again,) = await summarizer.summarize([paper(2)], "en")
        assert (other.summary_source, again.summary_source, fake.calls) == ("extractive", "llm", 3)
        wall.now += 3600
        (later,) = await summarizer.summarize([paper()], "en")
    assert later.summary_source == "llm" and fake.calls == 4


async def test_rejection_is_per_language_and_forgotten_on_success(fake: FakeOpenAI, store: Store) -> None:
    """A rejection in one language leaves the others alone; a later good answer clears it."""
    wall = WallClock()
    fake.queue(Behaviour.WRONG_LANGUAGE)
    async with LLMSummarizer(settings_for(fake), store, now=wall) as summarizer:
        (de,) = await summarizer.summarize([paper()], "de")
        (en,) = await summarizer.summarize([paper()], "en")
        assert (de.summary_source, en.summary_source) == ("extractive", "llm")
        wall.now += 3600
        (again,) = await summarizer.summarize([paper()], "de")
    assert again.summary_source == "llm" and fake.calls == 3
    assert await store.cache_get(REJECTED_NAMESPACE, cache_key(paper(), "de", MODEL)) is None


# -- a digest's deadline ---------------------------------------------------------------------------------


async def test_hanging_llm_gives_extracts_at_the_deadline(fake: FakeOpenAI, store: Store) -> None:
    """A server that accepts and never answers: at the deadline (an injected clock, no real wait)
    every paper gets its extract, nothing is cached, requests not sent yet are dropped, and a later
    build asks the LLM again."""
    fake.queue(Behaviour.STALL)
    clock = ManualClock()
    papers = [paper(n) for n in range(1, 4)]
    done: list[int] = []
    summarizer = LLMSummarizer(
        settings_for(fake, summary_concurrency=1, summary_deadline=60.0),
        store,
        sleep=clock.sleep,
        clock=clock,
        max_retries=0,
    )
    with capture_logs() as logs:
        building = asyncio.create_task(summarizer.summarize(papers, "en", progress=done.append))
        await wait_until(lambda: fake.calls == 1 and clock.sleepers == 1)
        clock.advance(59.0)
        await asyncio.sleep(0.05)
        assert not building.done()
        clock.advance(1.0)
        results = await building
    assert [r.summary_source for r in results] == ["extractive"] * 3
    assert sum(done) == 3
    (line,) = [entry for entry in logs if entry["event"] == "summaries_fallback"]
    assert line["reasons"] == "deadline:3" and line["log_level"] == "warning"
    await summarizer.close()
    assert fake.calls == 1
    for item in papers:
        assert await cached(store, item, "en") is None
    async with LLMSummarizer(settings_for(fake), store) as later:
        again = await later.summarize(papers, "en")
    assert [r.summary_source for r in again] == ["llm"] * 3 and fake.calls == 4


async def test_trickling_llm_is_cut_per_request_and_asked_again(fake: FakeOpenAI, store: Store) -> None:
    """A server that sends headers and then a space now and then, never the answer (the client's
    read timeout never fires): the request ends after twice OPENAI_TIMEOUT, well before the digest's
    deadline, with reason timeout; nothing is kept and the next build asks again."""
    fake.queue(Behaviour.TRICKLE)
    settings = settings_for(fake, openai_timeout=0.3, summary_deadline=120.0)
    with capture_logs() as logs:
        async with LLMSummarizer(settings, store, max_retries=0) as summarizer:
            (first,) = await summarizer.summarize([paper()], "en")
            (second,) = await summarizer.summarize([paper()], "en")
    assert [line["reason"] for line in fallbacks(logs)] == ["timeout"]
    assert (first.summary_source, second.summary_source, fake.calls) == ("extractive", "llm", 2)


async def test_a_model_that_never_answers_is_waited_out_once_not_per_digest(
    fake: FakeOpenAI, store: Store
) -> None:
    """A digest that met its deadline without one answer marks the model not answering: the next
    digests (other papers, another language) wait STALLED_DEADLINE, not the deadline, and still get
    a summary already cached; the model's next answer ends it, and a digest waits the full deadline
    again."""
    fake.queue(Behaviour.STALL, Behaviour.STALL)
    clock = ManualClock()
    cached_paper = paper(9)
    await store.cache_set(
        CACHE_NAMESPACE, cache_key(cached_paper, "de", MODEL), "Eine fertige Zusammenfassung."
    )
    settings = settings_for(fake, summary_concurrency=3, summary_deadline=60.0)
    summarizer = LLMSummarizer(settings, store, sleep=clock.sleep, clock=clock, max_retries=0)
    with capture_logs() as logs:
        first = asyncio.create_task(summarizer.summarize([paper(1)], "en"))
        await wait_until(lambda: fake.calls == 1 and clock.sleepers == 1)
        clock.advance(60.0)
        assert [p.summary_source for p in await first] == ["extractive"]

        second = asyncio.create_task(summarizer.summarize([paper(2), cached_paper], "de"))
        await wait_until(lambda: fake.calls == 2 and clock.sleepers == 1)
        clock.advance(STALLED_DEADLINE)
        assert [p.summary_source for p in await second] == ["extractive", "llm"]

        third = await summarizer.summarize([paper(3)], "en")
        assert [p.summary_source for p in third] == ["llm"] and fake.calls == 3
        fake.queue(Behaviour.STALL)
        fourth = asyncio.create_task(summarizer.summarize([paper(4)], "en"))
        await wait_until(lambda: fake.calls == 4 and clock.sleepers == 1)
        clock.advance(STALLED_DEADLINE)
        await asyncio.sleep(0.05)
        assert not fourth.done(), "the model answered: a digest waits the full deadline again"
        clock.advance(60.0)
        assert [p.summary_source for p in await fourth] == ["extractive"]
    await summarizer.close()
    events = [entry["event"] for entry in logs if entry["event"].startswith("llm_")]
    assert events == ["llm_not_answering", "llm_answering_again", "llm_not_answering"]


async def test_answer_after_the_deadline_is_kept_for_the_next_build(fake: FakeOpenAI, store: Store) -> None:
    """At the deadline a request under way goes on and its answer is cached for the next build,
    while a paper still queued is dropped (no request); the next build asks only for that one."""
    fake.latency = 0.3
    clock = ManualClock()
    first_paper, queued = paper(1), paper(2)
    async with LLMSummarizer(
        settings_for(fake, summary_concurrency=1), store, sleep=clock.sleep, clock=clock
    ) as summarizer:
        building = asyncio.create_task(summarizer.summarize([first_paper, queued], "en"))
        await wait_until(lambda: fake.calls == 1 and clock.sleepers == 1)
        clock.advance(60.0)
        results = await building
        assert [r.summary_source for r in results] == ["extractive", "extractive"]
        for _ in range(1000):  # the answer under way arrives (bounded wait, never asserted on)
            if await cached(store, first_paper, "en") is not None:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # time for a dropped request to show up, were it sent
        assert fake.calls == 1 and await cached(store, queued, "en") is None
        again = await summarizer.summarize([first_paper, queued], "en")
    assert [r.summary_source for r in again] == ["llm", "llm"] and fake.calls == 2
    assert again[0].summary == await cached(store, first_paper, "en")


async def test_deadline_is_per_digest_and_a_fast_llm_never_meets_it(fake: FakeOpenAI, store: Store) -> None:
    """With a responsive server the deadline changes nothing: every summary comes from the LLM."""
    clock = ManualClock()
    async with LLMSummarizer(settings_for(fake), store, sleep=clock.sleep, clock=clock) as summarizer:
        results = await summarizer.summarize([paper(n) for n in range(1, 6)], "en")
    assert {r.summary_source for r in results} == {"llm"} and clock.sleepers == 0


# -- metrics ---------------------------------------------------------------------------------------------


async def test_cache_hits_count_every_summary_served_without_a_call(fake: FakeOpenAI, store: Store) -> None:
    """Summaries served from the process's memo, from the store, or by joining another build's call
    all count as cache hits; calls count once each."""
    metrics = Metrics()
    papers = [paper(n) for n in range(1, 4)]
    fake.latency = 0.05
    async with LLMSummarizer(settings_for(fake), store, metrics=metrics) as first:
        both = await asyncio.gather(first.summarize(papers, "en"), first.summarize(papers, "en"))
        assert all(p.summary_source == "llm" for result in both for p in result)
        assert sample(metrics, "arxiv_digest_llm_calls_total", {"outcome": "ok"}) == 3
        assert sample(metrics, "arxiv_digest_llm_cache_hits_total") == 3
        await first.summarize(papers, "en")
        assert sample(metrics, "arxiv_digest_llm_cache_hits_total") == 6
    async with LLMSummarizer(settings_for(fake), store, metrics=metrics) as second:
        await second.summarize(papers, "zh-CN")
        await second.summarize(papers, "en")
    assert sample(metrics, "arxiv_digest_llm_cache_hits_total") == 9
    assert sample(metrics, "arxiv_digest_llm_calls_total", {"outcome": "ok"}) == 6
    assert fake.calls == 6


async def test_fallbacks_are_counted_by_reason(fake: FakeOpenAI, store: Store) -> None:
    """Each paper shown with its extract counts once under the reason it has no LLM summary."""
    metrics = Metrics()
    fake.queue(Behaviour.WRONG_LANGUAGE, Reply("I'm sorry, but I can't assist with that request."))
    async with LLMSummarizer(settings_for(fake), store, metrics=metrics, max_retries=0) as summarizer:
        await summarizer.summarize([paper(1)], "de")
        await summarizer.summarize([paper(2)], "en")
        await summarizer.summarize([paper(1)], "de")
    assert sample(metrics, "arxiv_digest_summary_fallbacks_total", {"reason": "wrong_language"}) == 1
    assert sample(metrics, "arxiv_digest_summary_fallbacks_total", {"reason": "refusal"}) == 1
    assert sample(metrics, "arxiv_digest_summary_fallbacks_total", {"reason": "rejected_earlier"}) == 1


# -- logs ------------------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_llm_down_logs_one_line_per_digest(store: Store) -> None:
    """With the LLM unreachable, a 36-paper digest logs one warning with the counts by reason; each
    paper's failure is at DEBUG."""
    settings = settings_for(None, openai_base_url=f"http://127.0.0.1:{closed_port()}/v1")
    papers: Sequence[Paper] = [paper(n) for n in range(1, 37)]
    with capture_logs() as logs:
        async with LLMSummarizer(settings, store, max_retries=0) as summarizer:
            results = await summarizer.summarize(papers, "en")
    assert {r.summary_source for r in results} == {"extractive"}
    loud = [entry for entry in logs if entry["log_level"] in ("warning", "error", "critical")]
    assert [(e["event"], e["reasons"], e["extractive"]) for e in loud] == [
        ("summaries_fallback", "connection:36", 36)
    ]
    assert [e["log_level"] for e in fallbacks(logs)] == ["debug"] * 36


@pytest.mark.parametrize("name", ["httpx", "httpx2", "httpcore2", "openai"])
def test_http_client_request_lines_are_below_info(name: str) -> None:
    """The HTTP client's one-line-per-request INFO logs (and the openai client's retry notes) do
    not show at LOG_LEVEL=INFO."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure("INFO")
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
        assert logging.getLogger(name).isEnabledFor(logging.WARNING)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
