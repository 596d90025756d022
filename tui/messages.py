"""Messages shared across the dashboard: widgets and the training worker post them up."""

from __future__ import annotations

from textual.message import Message

__all__ = ["StepsTaken", "RunEnded", "TrainingDiverged", "RaceFrame", "RaceEnded", "CursorMoved", "LayerPicked"]


class StepsTaken(Message):
    """The engine advanced; show its latest record.

    The history holds every step, so a newer message may replace an older one still waiting in
    the queue: when the screen falls behind, it skips frames instead of the engine waiting.

    Attributes:
        record: The latest :class:`~gradstep.engine.training.record.StepRecord`.
        steps_per_second: The training thread's speed, or None when not running continuously.
    """

    def __init__(self, record, steps_per_second: float | None = None) -> None:
        super().__init__()
        self.record = record
        self.steps_per_second = steps_per_second

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepsTaken)


class RunEnded(Message):
    """The training worker stopped (paused, finished its steps, or cancelled).

    Attributes:
        record: The last record it made, or None when it made none.
        run: Which run ended (the screen ignores the end of a run it has already replaced).
    """

    def __init__(self, record, run: int) -> None:
        super().__init__()
        self.record = record
        self.run = run


class TrainingDiverged(Message):
    """The loss or a gradient became NaN or infinite; the session kept its last good step.

    Attributes:
        step: The step that failed.
        text: The engine's explanation.
    """

    def __init__(self, step: int, text: str) -> None:
        super().__init__()
        self.step = step
        self.text = text


class RaceFrame(Message):
    """The race advanced: draw it (a newer frame replaces one still waiting in the queue).

    Attributes:
        steps_per_second: The race's speed while it runs until paused, else None.
    """

    def __init__(self, steps_per_second: float | None) -> None:
        super().__init__()
        self.steps_per_second = steps_per_second

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RaceFrame)


class RaceEnded(Message):
    """The race's worker stopped.

    Attributes:
        run: Which run ended (the view ignores the end of a run it has already replaced).
    """

    def __init__(self, run: int) -> None:
        super().__init__()
        self.run = run


class CursorMoved(Message):
    """A matrix's cursor moved to another cell.

    Attributes:
        row: Row in the grid.
        col: Column in the grid.
    """

    def __init__(self, row: int, col: int) -> None:
        super().__init__()
        self.row = row
        self.col = col


class LayerPicked(Message):
    """The learner picked a layer (a grid) by clicking it.

    Attributes:
        index: Position of the grid in the list.
    """

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index
