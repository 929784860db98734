"""The PIN pad that guards the maintenance view."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.content.selection import Selection
from kiosk.ui.screens.base import KioskScreen

MAX_PIN_DIGITS = 12


class PinScreen(KioskScreen):
    """Digits, clear and OK; a correct PIN opens the maintenance view."""

    entered = StringProperty("")
    """Digits typed so far; never logged or shown."""

    message = StringProperty("")
    """Feedback after a wrong or locked PIN, translated."""

    def populate(self, selection: Selection) -> None:
        self.message = ""

    def press(self, key: str) -> None:
        if key == "clear":
            self.entered = ""
        elif key == "ok":
            self._submit()
        elif key.isdigit() and len(self.entered) < MAX_PIN_DIGITS:
            self.entered += key

    def _submit(self) -> None:
        gate = self.app.pin_gate
        pin, self.entered = self.entered, ""
        if gate.check(pin):
            self.app.show("maintenance")
            return
        locked = gate.locked_for()
        if locked > 0:
            self.message = self.app.tr._("Too many wrong PINs. Try again in {minutes} min.").format(
                minutes=int(locked // 60) + 1)
        else:
            self.message = self.app.tr._("Wrong PIN.")

    def reset(self) -> None:
        self.entered = ""
        self.message = ""
