"""The one place that wires everything: store, arXiv source, summarizer, embeddings and translation
for ranking, engine, commands."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.commands import Commands, OnChange
from bot.engine import Clock, DigestEngine, utc_now
from bot.metrics import Metrics
from bot.settings import Settings
from bot.source import ArxivSource
from bot.store import Store, open_store
from bot.summary import Summarizer
from bot.throttle import Throttle


@dataclass
class App:
    """Everything a command, a platform or the push needs, built once."""

    settings: Settings
    store: Store
    source: ArxivSource
    summarizer: Summarizer
    engine: DigestEngine
    commands: Commands
    clock: Clock = field(default=utc_now)
    metrics: Metrics = field(default_factory=Metrics)
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    """Release the clients shared by several parts (the LLM client of summaries, translation and
    embeddings)."""

    async def aclose(self) -> None:
        await self.summarizer.close()
        for close in self.closers:
            await close()
        await self.source.aclose()
        await self.store.close()


async def build_app(
    settings: Settings,
    clock: Clock = utc_now,
    on_change: OnChange | None = None,
    metrics: Metrics | None = None,
) -> App:
    """Open the store and build the core from ``settings``; ``metrics`` (a new set by default)
    counts the summaries and the command replies."""
    from summarizer import build_summarizer, openai_client
    from summarizer.embeddings import OpenAIEmbedder
    from summarizer.translate import LLMTranslator

    metrics = metrics if metrics is not None else Metrics()
    store = await open_store(settings.store_url, settings.store_prefix)
    throttle = Throttle(store, "arxiv", settings.arxiv_min_interval)
    source = ArxivSource(settings, throttle)
    llm = openai_client(settings) if settings.llm_enabled else None
    summarizer = build_summarizer(settings, store, metrics, llm)
    embedder = OpenAIEmbedder(settings, store, llm) if settings.embeddings_enabled else None
    translator = LLMTranslator(settings, store, llm) if settings.llm_enabled else None
    engine = DigestEngine(store, source, summarizer, clock=clock, embedder=embedder, translator=translator)
    if on_change is None:
        from bot.schedule import scheduler_hook

        on_change = scheduler_hook(store, clock)
    commands = Commands(settings, store, engine, on_change=on_change, clock=clock, metrics=metrics)
    return App(
        settings,
        store,
        source,
        summarizer,
        engine,
        commands,
        clock,
        metrics,
        closers=[llm.close] if llm is not None else [],
    )
