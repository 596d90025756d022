"""The dashboard's changes of course made by hand: ``O`` the optimizer, ``y`` its
hyperparameters, ``=`` a parameter's value.

Each opens a dialog; what it returns is handed to the training controller
(:class:`~gradstep.tui.course.Course`), which changes the session at the step it stands at (a
branch when that is before the furthest step, as ``[`` / ``]``). A note says what changed and from
which step, and the loss chart marks it. The state panel follows the optimizer of the record on
screen: its tabs and matrices are made again when that optimizer keeps other arrays (Adam's
``V``, ``S``, ``V̂``, ``Ŝ``; momentum's ``V``).
"""

from __future__ import annotations

from textual.widgets import Tab, Tabs

from gradstep.engine import optim
from gradstep.tui.format import num, short
from gradstep.tui.i18n import _

__all__ = ["CourseActions"]


class CourseActions:
    """The course keys of :class:`~gradstep.tui.screens.dashboard.DashboardScreen` (a base)."""

    _restating = False

    # -- O: the optimizer ------------------------------------------------------------------
    def action_choose_optimizer(self) -> None:
        from gradstep.tui.screens.optimizer_picker import OptimizerPicker

        self._pause()  # a change is made where the session stands
        self.app.push_screen(OptimizerPicker(self.session.optimizer_kind, self.session.t + 1),
                             self._optimizer_chosen)

    def _optimizer_chosen(self, kind: str | None) -> None:
        if kind is None:
            return
        try:
            old, new = self.training.switch_optimizer(kind)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.notify(_("optimizer {old} → {new} from step {step}, from fresh state").format(
            old=optim.optimizer_title(old), new=optim.optimizer_title(new), step=self.session.t + 1), timeout=4)
        self.present.everything(self.session.record)

    # -- y: the hyperparameters ------------------------------------------------------------
    def action_edit_hyper(self) -> None:
        from gradstep.tui.screens.hyper_form import HyperForm

        self._pause()  # a change is made where the session stands
        self.app.push_screen(HyperForm(self.session.optimizer_kind, dict(self.session.hyper),
                                       self.session.t + 1, self.training.set_hyper), self._hyper_set)

    def _hyper_set(self, changed: dict | None) -> None:
        if not changed:
            return
        values = ", ".join(f"{optim.HYPER_SYMBOLS.get(k, k)} = {short(v)}" for k, v in changed.items())
        self.notify(_("{values} from step {step}").format(values=values, step=self.session.t + 1), timeout=4)
        self.present.everything(self.session.record)

    # -- =: a parameter's value ------------------------------------------------------------
    def action_type_value(self) -> None:
        from gradstep.tui.screens.value_dialog import ValueDialog

        self._pause()  # a change is made where the session stands
        name, index = self.selected_entry()
        label = self.grids[self.layer_index].cell(*self.cursor)
        label = name if label is None else label.label
        current = float(self.session.params[name][index])
        self.app.push_screen(ValueDialog(label, current, self.session.t,
                                         lambda value: self.training.set_value(name, index, value)),
                             self._value_set)

    def _value_set(self, result: tuple[str, float] | None) -> None:
        if result is None:
            return
        label, value = result
        self.notify(_("{entry} = {value} at step {step}; the next step starts from it").format(
            entry=label, value=num(value), step=self.session.t), timeout=4)
        self.present.everything(self.session.record)

    # -- the state panel follows the record's optimizer ------------------------------------
    def restate(self, record) -> None:
        """Make the state panel's tabs and matrices again when the optimizer of ``record`` (the
        session's at step 0) keeps other arrays than the panel shows, or an α_eff the panel
        does not (or the other way round); the panel shows what the record has meanwhile."""
        session = self.session
        kind, hyper = (session.optimizer_kind, session.hyper) if record is None else (record.optimizer, record.hyper)
        names, varies = optim.state_names(kind, hyper), optim.step_size_varies(kind)
        if (names, varies) != (self.state_names, self.panel_lr_eff) and not self._restating:
            self._restating = True
            self.run_worker(self._restate(names, varies), group="restate")

    async def _restate(self, names: tuple[str, ...], varies: bool) -> None:
        from gradstep.tui.screens.presenter import EFFECTIVE_LR
        from gradstep.tui.widgets.matrix_view import MatrixView

        try:
            tabs = self.query_one("#state-tabs", Tabs)
            old = [*self.state_names, *([EFFECTIVE_LR] if self.panel_lr_eff else [])]
            self.state_names, self.panel_lr_eff = (), False  # what the presenter shows meanwhile
            for k in old:
                await tabs.remove_tab(f"tab-{k}")
                await self.query_one(f"#view-{k}").remove()
            holder = self.query_one("#state-views")
            for k in [*names, *([EFFECTIVE_LR] if varies else [])]:
                label = self.present.label(k)
                where = {"after": "tab-update"} if k == EFFECTIVE_LR else {"before": "tab-update"}
                await tabs.add_tab(Tab(label, id=f"tab-{k}"), **where)
                view = MatrixView(label, id=f"view-{k}", classes="tab-view")
                view.show_caption = self.has_class("-wide")
                where = {"after": "#view-update"} if k == EFFECTIVE_LR else {"before": "#view-update"}
                await holder.mount(view, **where)
            self.state_names, self.panel_lr_eff = names, varies
        finally:
            self._restating = False
        self._show_active_view(tabs.active)
        self.present.everything(self.session.record)
