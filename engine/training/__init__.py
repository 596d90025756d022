"""Training one scenario step by step, and remembering where it has been.

``session`` holds :class:`Session`, the loop over one flat parameter vector that hands out one
frozen :class:`StepRecord` (``record``) per step; ``batches`` says which rows each step learns
from; ``gradient_sources`` gives the loss and its gradient (an autodiff graph, or one of the two
fast programs); ``history`` and ``scalar_log`` keep every step's scalars within a budget, recent
records and keyframes; ``travel`` goes back to any step and branches when a hyperparameter
changes; ``trace`` writes records as JSON lines or CSV through ``atomic_file``, which writes a
file whole or not at all; ``diagnose`` says in a sentence where a diverging step went wrong.
"""


from gradstep.engine.training.batches import Batches
from gradstep.engine.training.history import History, Schedule
from gradstep.engine.training.record import ParamLayout, StepRecord
from gradstep.engine.training.scalar_log import ScalarLog
from gradstep.engine.training.session import Diverged, Session
from gradstep.engine.training.atomic_file import abandon_unfinished
from gradstep.engine.training.trace import AtomicFile, ExportError, write_records, write_trace

__all__ = [
    "Batches", "History", "Schedule", "ParamLayout", "StepRecord", "ScalarLog", "Diverged", "Session",
    "AtomicFile", "ExportError", "abandon_unfinished", "write_records", "write_trace"
]
