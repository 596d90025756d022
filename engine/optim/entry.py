"""What the registry knows about one optimizer: :class:`OptimizerEntry`, and the worked equations' inputs.

An entry holds everything about one optimizer in one place (optax's ``scale_by_adam``, PyTorch's
``adam.py``): its defaults, its state in display order, its pure update, the rule for the step
size each parameter effectively gets, its equations (the symbolic lines of the help screen and
the worked lines, with the step's numbers put in, of the dashboard) and its title. The family
modules (:mod:`~gradstep.engine.optim.sgd`, :mod:`~gradstep.engine.optim.adaptive`,
:mod:`~gradstep.engine.optim.adam`) write the entries; :mod:`~gradstep.engine.optim.registry`
lists them.

Equations are text in the engine's language hook (:mod:`gradstep.engine.i18n`): their words are
looked up when the lines are made, so they are functions, not strings. The numbers in them are
written by the interface's formats, handed in as :class:`Numbers`: how a number looks on screen
is the interface's business, which numbers go where is the optimizer's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

from gradstep.engine.i18n import _

__all__ = ["OptimizerEntry", "Scalar", "Numbers", "WorkedLine"]

WorkedLine = tuple[str, "str | None"]
"""``(equation with numbers, the record's value it equals)``; the value is None for a line that
only explains."""


@dataclass(frozen=True)
class Scalar:
    """One scalar of a step record and of the record before it (what the worked lines show).

    Attributes:
        name: What to call it in the equations (``a``, or ``θ`` for an entry of a matrix).
        t: The step.
        g: Its raw gradient at step t.
        before: Its value before step t (the previous record's, or the initial value).
        after: Its value after step t.
        delta: The record's update, ``after - before``.
        prev: The optimizer state before step t by name (``V``, ``S``, ``S_max``).
        state: The state after step t by name (``V``, ``S``, ``V_hat``, ``S_hat``, ``S_max``).
        hyper: The hyperparameters in force at step t.
        bias1: ``1 - β1^t`` from the record (Adam family), else None.
        bias2: ``1 - β2^t`` from the record, else None.
        step: The step-wide numbers of the optimizer's :attr:`OptimizerEntry.notes` at step t
            by their label (NAdam's ``Πₜ``, RAdam's ``ρₜ``), else empty.
    """

    name: str
    t: int
    g: float
    before: float
    after: float
    delta: float = 0.0
    prev: dict = field(default_factory=dict)
    state: dict = field(default_factory=dict)
    hyper: dict = field(default_factory=dict)
    bias1: float | None = None
    bias2: float | None = None
    step: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Numbers:
    """How the worked lines write numbers: the interface's formats, handed to the engine.

    Attributes:
        num: A value of the record (``-0.7310``).
        short: A hyperparameter as it was written (``0.9``, ``1e-8``).
    """

    num: Callable[[float], str]
    short: Callable[[float], str]

    def factor(self, x: float) -> str:
        """:attr:`num` ready to be multiplied: negative numbers in parentheses."""
        text = self.num(x)
        return f"({text})" if text.startswith("-") else text

    def one_minus(self, x: float) -> str:
        """``1 - x`` for a decay rate (``0.001`` for β2 = 0.999), rounded as it was written."""
        return self.short(round(1 - x, 12))


WorkedBody = Callable[[Scalar, str, Numbers], "list[WorkedLine]"]
"""The lines special to one optimizer, given the scalar, the gradient as written (the raw g, or
g with the L2 term) and the number formats."""


@dataclass(frozen=True)
class OptimizerEntry:
    """Everything about one optimizer.

    Attributes:
        name: The kind, as a scenario file names it (``adam``).
        title: Its name on screen, in English (marked with ``N_``; see :meth:`shown_title`).
        defaults: Every hyperparameter with its default (PyTorch's), in display order.
        state_names: The state shown to the learner at the defaults, in display order: the
            stored arrays and the derived ones (names ending in ``_hat``).
        update: The pure update ``update(theta, grad, state, hp) -> (theta, state)``.
        step_size: The effective step size per parameter, ``step_size(state, hp, size,
            dtype)``: the number the update multiplies its :attr:`direction` by.
        direction: ``direction(theta, grad, state, hp)``: what :attr:`step_size` multiplies
            (g, V, V̂, or g + μ·V), from the parameters and raw gradient given to an update and
            the state it returned.
        step_size_text: The formula of :attr:`step_size` in the tutorial's symbols, given the
            hyperparameters (``α/(√Ŝ+ε)``).
        symbolic: The lines of its equations special to it, without numbers (for help).
        worked: The lines special to it, with the step's numbers (see :data:`WorkedBody`).
        torch: The PyTorch optimizer it equals (``torch.optim.Adam(amsgrad=True)``).
        torch_state: Each stored state array's PyTorch key (``{"V": "exp_avg"}``).
        carry: ``carry(theta, state, hp)``, the part of the update that is not the step size
            times the direction, from the parameters and the state before the update (AdamW's
            decoupled decay α·λ·θ, RMSprop's velocity α·μ·V carried over), else None: then
            ``update = -(step_size * direction + carry)``.
        decoupled_decay: Weight decay shrinks θ directly before the step (AdamW) instead of
            adding λ·θ to the gradient (L2, every other optimizer here).
        corrections: ``corrections(state, hp) -> (1 - β1ᵗ, 1 - β2ᵗ)`` for an optimizer with
            Adam's bias corrections, else None.
        derive: ``derive(state, hp) -> {name: array}``, the display-only arrays of its state
            (Adam's ``V_hat``, ``S_hat``), else None.
        state_names_for: ``state_names_for(hp)`` when the state depends on the
            hyperparameters (RMSprop's ``V`` with momentum), else None.
        validate: ``validate(hp)`` raises ValueError for a combination the optimizer refuses
            (Nesterov without momentum), else None.
        scalar_state: Numbers the state keeps beside ``t`` for every parameter at once, with
            their values before the first step (NAdam's ``mu_product``, 1); the update returns
            them as Python floats, never as arrays.
        notes: ``notes(state, hp) -> [(label, value)]``, the step-wide numbers the dashboard
            shows beside the state (Adamax's ``1−β1ᵗ``, NAdam's ``μₜ`` and ``Πₜ``, RAdam's
            ``ρₜ`` and ``rₜ``; a value may be None), else None.
        same_step_for_all: :attr:`step_size` is α for every parameter (SGD, momentum): a table
            of it says nothing that α does not.
    """

    name: str
    title: str
    defaults: Mapping[str, float]
    state_names: tuple[str, ...]
    update: Callable
    step_size: Callable
    direction: Callable
    step_size_text: Callable[[Mapping[str, float]], str]
    symbolic: Callable[[], "list[str]"]
    worked: WorkedBody
    torch: str
    torch_state: Mapping[str, str]
    carry: Callable | None = None
    decoupled_decay: bool = False
    corrections: Callable | None = None
    derive: Callable | None = None
    state_names_for: Callable | None = None
    validate: Callable | None = None
    scalar_state: Mapping[str, float] = field(default_factory=dict)
    notes: Callable | None = None
    same_step_for_all: bool = False

    def names(self, hp: Mapping[str, float] | None = None) -> tuple[str, ...]:
        """The state shown for hyperparameters ``hp`` (:attr:`state_names` when None)."""
        if self.state_names_for is None or hp is None:
            return self.state_names
        return self.state_names_for(hp)

    def shown_title(self) -> str:
        """:attr:`title` in the installed language."""
        return _(self.title)

    def symbolic_lines(self) -> list[str]:
        """Its equations for step t, in the tutorial's symbols, as the help screen shows them."""
        lines = ["g = ∂L/∂θ, " + _("the gradient of the loss at the parameters before step t"),
                 *self.symbolic()]
        if not self.decoupled_decay:
            lines.append(_("weight decay λ > 0 adds λ·θ to g first (L2 regularisation, as PyTorch)"))
        return lines

    def worked_lines(self, s: Scalar, numbers: Numbers) -> list[WorkedLine]:
        """The update of scalar ``s`` at step ``s.t``, the step's numbers put in.

        The value after each equation is the record's own (never recomputed here), so a learner
        can check every line with a calculator and find the engine's result.

        Args:
            s: The scalar, from the records of steps t - 1 and t.
            numbers: How numbers are written.

        Returns:
            ``(equation, result)`` pairs: the equation in symbols with the numbers put in, and
            the record's value it equals (None for a line that only explains).
        """
        num, n = numbers.num, s.name
        lines: list[WorkedLine] = [(f"g = ∂L/∂{n}", num(s.g))]
        wd = s.hyper.get("weight_decay", 0.0)
        g = numbers.factor(s.g)
        if wd and not self.decoupled_decay:
            g = f"({num(s.g)} + {numbers.short(wd)}·{numbers.factor(s.before)})"
            lines.append((_("weight decay λ = {wd}: g + λ·{n} = {sum} stands for g below").format(
                wd=numbers.short(wd), n=n, sum=g[1:-1]), None))
        lines += self.worked(s, g, numbers)
        lines.append((_("Δ{n} = new {n} − old {n}").format(n=n), num(s.delta)))
        return lines

    @property
    def bias_corrected(self) -> bool:
        """Whether it keeps Adam's bias-corrected moments (``V_hat``, ``S_hat``)."""
        return self.corrections is not None

    def derived(self, state: dict, hp: Mapping[str, float]) -> dict:
        """Display-only arrays computed from the state (the update never needs them); ``{}``
        for an optimizer without :attr:`derive`."""
        return {} if self.derive is None else self.derive(state, hp)

    def step_notes(self, state: dict, hp: Mapping[str, float]) -> list[tuple[str, "float | None"]]:
        """The step-wide numbers shown beside the state (:attr:`notes`); ``[]`` without them."""
        return [] if self.notes is None else self.notes(state, hp)

    def bias_corrections(self, state: dict, hp: Mapping[str, float]) -> tuple[float, float] | None:
        """``(1 - β1ᵗ, 1 - β2ᵗ)`` at the state's ``t`` for the Adam family, else None."""
        return None if self.corrections is None else self.corrections(state, hp)
