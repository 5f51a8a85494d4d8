"""Local fakes of the services the bot talks to, speaking their real protocols over HTTP."""

from tests.fakes.arxiv import FakeArxiv, RecordedRequest
from tests.fakes.feeds import (
    load_api_fixture,
    make_api_feed,
    make_papers,
    make_rss,
    paged_api,
    recorded_api,
    recorded_rss,
)

__all__ = [
    "FakeArxiv",
    "RecordedRequest",
    "load_api_fixture",
    "make_api_feed",
    "make_papers",
    "make_rss",
    "paged_api",
    "recorded_api",
    "recorded_rss",
]
