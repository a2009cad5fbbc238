"""The resolve pass's files shared out: this process settles the first share, forked helpers the rest.

Takes: the paths to settle, in order, and how to settle one (a resolver over the built symbol index).
Gives: each (path, FileResolution) in that order, as the resolve pass does without helpers.

Why: resolving ran on one core while the other idled (the parse is over, the load not begun): on
sympy 6.7 s of a 22 s full build (docs/benchmarks.md §35). A helper forked once the symbol index is
built reads it without a copy, resolves a contiguous share of the files (neighbours share imports,
so each process's caches serve its share) and writes each resolution, pickled, to a temporary file
beside the index: a pipe would fill and stop the helper until this process reads it, which it does
only after its own share. This process settles its share as the caller asks (a full build writes
each record away as it comes), then reads the helpers' files in order. Its share is the smaller:
it also makes every file's record (OWN_SHARE).

Cost: memory. A helper's reads copy the pages they touch (reference counts) and it builds its own
caches: on sympy 360 MB beside this process's 500 MB, at 100,000 synthetic files 2.6 GB beside
4.0 GB (HELPER_COPY_SHARE). So a helper is forked only when codekg's processes together stay under
the `parse_memory_ceiling` setting with it, when the machine (or this process's container) has
HELPER_MEMORY_FACTOR times this process's resident memory available for it, and never for fewer
than HELPER_MIN_FILES files. The `workers` setting bounds the helpers (one fewer than it).

A helper that cannot be started (no disk for its file, a process limit) or that fails (killed, out
of memory, an error outside a file's containment) costs time, not edges: its share is settled here,
with a warning in the log. The files that failed inside a helper are counted in this process's
`file_failures_total` as well.
"""

from __future__ import annotations

import gc
import logging
import pickle
import sys
import tempfile
from bisect import bisect_right
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

from codekg.faults import FileFailedError, count_failures, counted_apart
from codekg.forked import ForkedCall

if TYPE_CHECKING:
    from codekg.passes.resolve import FileResolution

log = logging.getLogger(__name__)

HELPER_MIN_FILES = 200  # below it, forking and pickling cost about what the helper saves
OWN_SHARE = 0.8  # this process's share of the work, relative to a helper's: it makes the records too
FORK_FRAMES = 16  # the frames of Process.start and the child's start-up under a helper's work, with room to spare
HELPER_MEMORY_FACTOR = 4.0  # free memory a helper needs, in multiples of this process's resident memory
HELPER_COPY_SHARE = 0.75  # what a helper comes to hold of its own, in shares of this process's resident memory

Settle = Callable[[str], "FileResolution"]


def helper_count(workers: int, files: int, memory_ceiling: int) -> int:
    """How many helpers the resolve of ``files`` files may fork now: one fewer than ``workers``, as
    many as keep this process and them under ``memory_ceiling`` bytes and as the available memory
    allows, none for a small build."""
    if workers < 2 or files < HELPER_MIN_FILES:
        return 0
    import psutil

    resident = max(psutil.Process().memory_info().rss, 1)
    under_ceiling = int((memory_ceiling - resident) // (HELPER_COPY_SHARE * resident))
    affordable = int(available_memory() // (HELPER_MEMORY_FACTOR * resident))
    return max(0, min(workers - 1, under_ceiling, affordable))


def available_memory(cgroups: Path = Path("/sys/fs/cgroup")) -> int:
    """Bytes the machine has available, or fewer when this process's container (a cgroup v2
    `memory.max`, or v1 `memory/memory.limit_in_bytes`, under ``cgroups``) leaves fewer: psutil
    reads the host's figures, and a container's out-of-memory kill would take the whole build."""
    import psutil

    available = psutil.virtual_memory().available
    for limit_file, usage_file in (("memory.max", "memory.current"),
                                   ("memory/memory.limit_in_bytes", "memory/memory.usage_in_bytes")):
        try:
            limit, usage = (cgroups / limit_file).read_text().strip(), int((cgroups / usage_file).read_text())
        except (OSError, ValueError):
            continue
        if limit.isdigit():  # v2 says "max" when unlimited; v1 gives a huge number, which the min leaves alone
            available = min(available, max(0, int(limit) - usage))
        break
    return available


def shares(paths: list[str], weights: list[int], helpers: int) -> list[list[str]]:
    """``paths`` cut into 1 + ``helpers`` contiguous shares by ``weights`` (the work each file is,
    roughly): the first, this process's, OWN_SHARE of a helper's, the others equal. A file goes to
    the share its weight's midpoint falls in, so a share may be empty when a few files weigh most."""
    total = sum(weights)
    unit = total / (OWN_SHARE + helpers) if total else 0.0
    starts = [OWN_SHARE * unit + k * unit for k in range(helpers)]  # the weight each share after the first starts at
    cut: list[list[str]] = [[] for _ in range(helpers + 1)]
    running = 0.0
    for path, weight in zip(paths, weights):
        cut[bisect_right(starts, running + weight / 2)].append(path)
        running += weight
    return cut


def settle_shared(paths: list[str], settle: Settle, weight: Callable[[str], int], helpers: int,
                  scratch: Path) -> Iterator[tuple[str, "FileResolution"]]:
    """Each of ``paths`` with ``settle(path)``, in order, the later shares settled by ``helpers``
    forked processes meanwhile (their files in ``scratch``). Closing the iterator early (an
    interrupt, a failure of the caller) kills the helpers and removes their files."""
    own, *theirs = shares(paths, [weight(path) for path in paths], helpers)
    started: list[tuple[list[str], IO[bytes] | None, ForkedCall | None]] = []
    try:
        for share in theirs:
            if share:
                started.append((share, *_started(settle, share, scratch)))
        for path in own:
            yield path, settle(path)
        for share, output, helper in started:
            outcome, detail = helper.answer() if helper is not None else ("failed", "it could not be started")
            if outcome == "solved" and output is not None:
                failures, stopped = detail
                count_failures(failures)
                if stopped is not None:  # a file failed with `strict` on: the run stops as it would here
                    raise FileFailedError(stopped)
                output.seek(0)
                for _ in share:
                    yield pickle.load(output)
            else:
                log.warning("a resolve helper stopped (%s); its %d files are resolved in the main process", detail, len(share))
                for path in share:
                    yield path, settle(path)
            _stop(output, helper)
    finally:
        for _, output, helper in started:
            _stop(output, helper)


def _started(settle: Settle, share: list[str], scratch: Path) -> tuple[IO[bytes] | None, ForkedCall | None]:
    """A helper settling ``share`` into a nameless temporary file (gone when closed, or when the run
    dies); (None, None) when the file or the process cannot be made (no disk, a process limit)."""
    output = None
    try:
        output = tempfile.TemporaryFile(dir=scratch, prefix="resolve-")
        return output, ForkedCall(_settle_into, (settle, share, output))
    except OSError as error:
        log.warning("cannot start a resolve helper (%s)", error)
        if output is not None:
            output.close()
        return None, None


def _stop(output: IO[bytes] | None, helper: ForkedCall | None) -> None:
    if helper is not None:
        helper.stop()
    if output is not None:
        output.close()


def _settle_into(settle: Settle, paths: list[str], output: IO[bytes]) -> tuple[dict[tuple[str, str], int], str | None]:
    """In a helper: each file's resolution, pickled one after another into ``output``. Gives the
    files that failed, by pass and kind, for the main process's `file_failures_total`
    (faults.counted_apart), and the message of a file that failed with `strict` on, which stops the
    share there (None: none did). Never collected: a collection would walk (and copy) the whole
    inherited heap for nothing. Its stack holds the frames of the fork as well: the recursion limit
    is raised by as many, so a deep file fails (or not) in a helper as it would in the main process."""
    gc.disable()
    sys.setrecursionlimit(sys.getrecursionlimit() + FORK_FRAMES)
    stopped = None
    with counted_apart() as failures:
        try:
            for path in paths:
                pickle.dump((path, settle(path)), output, protocol=pickle.HIGHEST_PROTOCOL)
        except FileFailedError as error:
            stopped = str(error)
    output.flush()
    return dict(failures), stopped
