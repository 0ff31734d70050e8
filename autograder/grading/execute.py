"""nbgrader's Execute preprocessor, made to survive hostile notebooks.

Plain nbgrader drops a whole submission when the kernel dies (``os._exit``,
a signal, the CPU limit) and can wait for ever behind a cell that swallows
the timeout's KeyboardInterrupt. This subclass changes only what happens in
those cases, so ordinary notebooks execute exactly as under nbgrader:

* **kernel death**: the cell gets a ``KernelDied`` error output, a fresh
  kernel is started, the cells that ran before are replayed silently (so the
  student's definitions exist again) and execution goes on with the next cell;
* **unresponsive after a timeout**: if the interrupted kernel does not answer
  within ``interrupt_grace`` seconds, or never goes idle (plain nbgrader then
  drops the submission), it is treated like a dead one -- while the earlier
  cells are replayed too: a cell that kills or hangs the kernel only when it
  is replayed is dropped from the replay, never a fault of the grader;
* **anything else going wrong once a student's cell has run** (an unexpected
  message, an error of nbclient's) is that cell's ``ExecutionFailed`` error and
  a fresh kernel runs the rest: a student cannot turn a submission into a grader
  fault, which would store nothing, on every run;
* **notebook wall-clock limit**: each cell's timeout is cut to what is left of
  ``notebook_timeout``; cells after that get a ``NotebookTimeout`` error;
* **a kernel that dies before running anything** (killed from outside while it
  starts, say): that is no cell's doing, so it is started again, once
  (``kernel_start_retries``); a second failure raises :class:`KernelStartFailure`,
  which the grader reports as its own fault, never as a grade.

Error outputs make the affected test cells score 0 through nbgrader's own
SaveAutoGrades, so the working parts keep their points.
"""
from __future__ import annotations

import copy
from time import monotonic

from nbclient.client import NotebookClient
from nbconvert.preprocessors import Preprocessor
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

KERNEL_DIED = "KernelDied"
NOTEBOOK_TIMEOUT = "NotebookTimeout"
EXECUTION_FAILED = "ExecutionFailed"


def add_error(cell: NotebookNode, ename: str, evalue: str) -> None:
    """Append an error output to a code cell, as a failed execution would."""
    cell.setdefault("outputs", []).append(NotebookNode(
        output_type="error", ename=ename, evalue=evalue,
        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"]))


def timed_out(cell: NotebookNode) -> bool:
    return any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
               for o in cell.get("outputs", []))


class KernelStartFailure(RuntimeError):
    """The kernel died before it ran a cell, more often than allowed: a fault of the grader."""


class ResilientExecute(Execute):
    """Execute that recovers from dead/hung kernels and bounds the whole notebook."""

    notebook_timeout = Integer(600, help="Wall-clock seconds for the whole notebook.").tag(config=True)
    interrupt_grace = Integer(5, help="Seconds an interrupted kernel has to become idle.").tag(config=True)
    kernel_start_retries = Integer(1, help="New kernels after one died before running a cell.").tag(config=True)

    #: wall seconds spent executing notebooks in this process (kernel start included): what
    #: plain nbgrader would spend too, so a job's time beyond it is the tool's own overhead
    seconds = 0.0

    def preprocess(self, nb, resources=None, km=None):
        start = monotonic()
        try:
            return self._preprocess(nb, resources, km)
        finally:
            ResilientExecute.seconds += monotonic() - start

    def _preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        cell_timeout = self.timeout
        deadline = monotonic() + self.notebook_timeout
        pending = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
        replay: list[int] = []  # cells that ran without killing or hanging the kernel
        start_failures = 0
        ran = False  # a student's cell has run: from then on, what goes wrong is the student's result
        try:
            while pending:
                started = False
                try:
                    with self.setup_kernel():
                        info = self.wait_for_reply(self.kc.kernel_info())
                        started = True
                        nb.metadata["language_info"] = info["content"]["language_info"]
                        try:
                            self._replay(nb, replay, deadline)
                        except DeadKernelError:
                            continue  # that replayed cell is dropped; start yet another kernel
                        while pending:
                            index = pending.pop(0)
                            cell = nb.cells[index]
                            left = deadline - monotonic()
                            if left < 1:
                                add_error(cell, NOTEBOOK_TIMEOUT,
                                          f"not run: the notebook's {self.notebook_timeout} s limit was reached")
                                continue
                            self.timeout = int(min(cell_timeout or left, left))
                            ran = True
                            try:
                                self.preprocess_cell(cell, resources, index)
                            except DeadKernelError:
                                add_error(cell, KERNEL_DIED, "the kernel died while running this cell "
                                          "(exit, crash, kill or resource limit); a new kernel ran the rest")
                                break  # leave the context: restart the kernel
                            except CellTimeoutError:  # interrupted, but the kernel never went idle
                                add_error(cell, "CellTimeoutError", "the cell exceeded its time limit and "
                                          "ignored the interrupt; a new kernel ran the rest")
                                break
                            except Exception as exc:  # noqa: BLE001 - whatever it was, this cell caused it
                                add_error(cell, EXECUTION_FAILED, f"running this cell failed ({type(exc).__name__}: "
                                          f"{str(exc)[:500]}); a new kernel ran the rest")
                                break
                            if timed_out(cell) and not self._responsive():
                                break
                            replay.append(index)
                except (RuntimeError, DeadKernelError, TimeoutError) as exc:
                    if started and ran:  # after the student's cells: their result, with a note on each cell
                        for index in pending:
                            add_error(nb.cells[index], EXECUTION_FAILED, "not run: the kernel could not be "
                                      f"set up again after the cells above ({type(exc).__name__}: {str(exc)[:300]})")
                        pending.clear()
                        break
                    if started:
                        raise
                    start_failures += 1
                    if start_failures > self.kernel_start_retries:
                        raise KernelStartFailure(
                            f"the kernel died before running a cell, {start_failures} times ({exc}): "
                            "a fault of the grader, not of the submission") from exc
        finally:
            self.timeout = cell_timeout
        self.set_widgets_metadata()
        return nb, self.resources

    def _responsive(self) -> bool:
        """After an interrupt: does the kernel answer within the grace period?"""
        saved, self.timeout = self.timeout, self.interrupt_grace
        try:
            return self.wait_for_reply(self.kc.kernel_info()) is not None
        except DeadKernelError:
            return False
        finally:
            self.timeout = saved

    def _replay(self, nb, replay: list[int], deadline: float) -> None:
        """Re-run earlier cells on a fresh kernel; their outputs are discarded.

        A replayed cell that kills the kernel, or hangs it past its timeout (interrupt ignored), is
        dropped from the replay for good and raises DeadKernelError: the caller starts another
        kernel. One that only runs out of time is dropped and the replay goes on."""
        for index in list(replay):
            self.timeout = int(max(1, min(self.timeout or 30, deadline - monotonic())))
            original = nb.cells[index]
            rerun = copy.deepcopy(original)
            try:
                self.execute_cell(rerun, index, store_history=False)
                dead = timed_out(rerun) and not self._responsive()
            except (DeadKernelError, CellTimeoutError):
                dead = True
            finally:
                nb.cells[index] = original  # nbclient stores the replayed copy; keep the first run
            if dead or timed_out(rerun):
                replay.remove(index)  # never replay it again
            if dead:
                raise DeadKernelError(f"replaying cell {index} killed or hung the kernel")

TRUNCATED = "\n[output truncated by the grader]\n"


class LimitOutputSize(Preprocessor):
    """Cap the size of each output's text and of the notebook's outputs in all (nbgrader's LimitOutput
    counts lines only: 200 lines of 100 kB are 20 MB of graded notebook and feedback page).

    Text beyond ``max_output_chars`` in one output is cut with a visible marker; once the notebook's
    outputs reach ``max_notebook_chars``, later outputs are replaced by the marker alone. Error outputs
    keep their name (an error still fails its cell); their value and traceback are cut the same way.
    """

    enabled = Bool(True).tag(config=True)
    max_output_chars = Integer(64_000, help="Characters of text one output keeps.").tag(config=True)
    max_notebook_chars = Integer(1_000_000, help="Characters of output the whole notebook keeps.").tag(config=True)

    def preprocess(self, nb, resources):
        self._left = self.max_notebook_chars
        return super().preprocess(nb, resources)

    def _cut(self, text):
        if isinstance(text, list):
            text = "".join(text)
        if not isinstance(text, str):
            return text
        keep = max(0, min(self.max_output_chars, self._left))
        if len(text) > keep:
            text = text[:keep] + TRUNCATED
        self._left -= min(len(text), keep)
        return text

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "stream":
                out["text"] = self._cut(out.get("text", ""))
            elif kind == "error":
                out["evalue"] = self._cut(out.get("evalue", ""))
                out["traceback"] = [self._cut(line) for line in out.get("traceback", [])]
            elif kind in ("execute_result", "display_data"):
                data = out.get("data", {})
                for mime in list(data):
                    if mime.startswith("text/") or mime.endswith(("json", "javascript", "svg+xml")):
                        data[mime] = self._cut(data[mime])
                    elif isinstance(data[mime], str) and len(data[mime]) > 4 * self.max_output_chars \
                            or self._left <= 0:  # an image: dropped whole when too large
                        del data[mime]
                        data.setdefault("text/plain", TRUNCATED.strip())
                    else:
                        self._left -= len(data[mime]) if isinstance(data[mime], str) else 0
        return cell, resources
