"""Progress on a terminal, silence when piped."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress_bar(total: int, unit: str) -> Iterator[Callable[[int], None]]:
    """A callback advancing a progress bar on stderr; a no-op when stderr is not a terminal."""
    if not sys.stderr.isatty() or total == 0:
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit=f" {unit}", file=sys.stderr, leave=False) as bar:
        yield bar.update
