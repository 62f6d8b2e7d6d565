"""Group commit: commands sent concurrently share one transaction and one flush to disk.

One thread drains a queue of pending commands into batches for the writer. Each command
still gets its own answer (a receipt or its own error), set on its future once the batch
has committed, so a caller that lost a race can read the winner.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

from infrastructure.receipts import Receipt
from infrastructure.writing.batch import Pending
from infrastructure.writing.batch_sizes import BatchSizes
from infrastructure.writing.writer import Writer

MAX_BATCH = 256
Queued = tuple[Pending, "Future[Receipt]"]


class GroupCommitter:
    def __init__(
        self, writer: Writer, max_batch: int = MAX_BATCH, sizes: BatchSizes | None = None
    ) -> None:
        self._writer = writer
        self._max_batch = max_batch
        self._sizes = BatchSizes() if sizes is None else sizes
        self._queue: queue.SimpleQueue[Queued | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def submit(self, pending: Pending) -> Future[Receipt]:
        answer: Future[Receipt] = Future()
        self._queue.put((pending, answer))
        return answer

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            closing = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                    break
                batch.append(item)
            self._write(batch)
            if closing:
                return

    def _write(self, batch: list[Queued]) -> None:
        self._sizes.add(len(batch))
        try:
            results = self._writer.execute([pending for pending, _ in batch])
        except BaseException as error:  # the writer answers each command; this is a last resort
            results = [error] * len(batch)
        for (_, answer), result in zip(batch, results, strict=True):
            if isinstance(result, BaseException):
                answer.set_exception(result)
            else:
                answer.set_result(result)
