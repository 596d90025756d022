"""The footer of every screen: Textual's, showing only the keys it has room for in full."""

from __future__ import annotations

from textual.widgets import Footer

__all__ = ["KeyFooter"]


class KeyFooter(Footer):
    """Textual's compact footer without a key cut in half.

    Textual lays the keys out in one row and docks the command palette's key (``^p palette``)
    over its right end: the key it lands on shows a stray letter before it (``g▏^p palette``),
    and the compact keys' right margin leaves a column after it, which shows a letter of the
    key beneath (``paletteo``). Here the palette's key reaches the right edge, and every key (or
    group of keys with its label: ``[] α÷2 ×2``) that does not end before it is hidden; the help
    (``?``) and the palette list them all. The keys come in priority order (see the screens'
    ``BINDINGS``), so what is hidden is what matters least.

    Only a tail of the keys is ever hidden, so the keys shown keep the places they had with every
    key shown: where each key ends is measured once, when the keys are first laid out, and a
    new width only compares those ends with where the palette's key now begins.
    """

    DEFAULT_CSS = """
    KeyFooter.-compact FooterKey.-command-palette {
        margin-right: 0;
    }
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._ends: dict[object, int] = {}  # each key's right end, with every key shown

    def on_mount(self) -> None:
        super().on_mount()
        self.call_after_refresh(self._trim)

    async def recompose(self) -> None:
        """The keys change with the screen's bindings: trim the new ones once laid out."""
        self._ends = {}
        await super().recompose()
        self.call_after_refresh(self._trim)

    def on_resize(self) -> None:
        self.call_after_refresh(self._trim)

    def _units(self) -> list[list]:
        """The footer's keys in order, each alone or a group with its label (the palette's
        key left out)."""
        units: list[list] = []
        for child in self.children:
            if child.has_class("-command-palette"):
                continue
            # Textual's own classes (FooterLabel, KeyGroup) are private: told apart by name.
            if type(child).__name__ == "FooterLabel" and units and type(units[-1][-1]).__name__ == "KeyGroup":
                units[-1].append(child)
            else:
                units.append([child])
        return units

    def _trim(self, tries: int = 10) -> None:
        if not self.is_attached or not self.region.width:
            return
        for child in self.children:
            if child not in self._ends and child.display and child.region.width:
                self._ends[child] = child.region.right
        if not self.children or any(child not in self._ends for child in self.children):
            if tries:  # not laid out yet
                self.call_after_refresh(self._trim, tries - 1)
            return
        palette = [c for c in self.children if c.has_class("-command-palette") and c.display]
        limit = palette[0].region.x if palette else self.region.right
        cut = False
        for unit in self._units():
            cut = cut or any(self._ends[child] >= limit for child in unit)  # a column before it
            for child in unit:
                if child.display == cut:
                    child.display = not cut
