"""Write ``bundle_validator.py``, the validator code generated from the bundle schema.

Run ``python -m kiosk.content.generate_validator`` after changing
``bundle.schema.json``; a test fails while the two disagree.
"""

from __future__ import annotations

from kiosk.content.validation import GENERATED_FILE, generate_validator_code


def main() -> None:
    GENERATED_FILE.write_text(generate_validator_code(), encoding="utf-8")
    print(f"Wrote {GENERATED_FILE}")


if __name__ == "__main__":
    main()
