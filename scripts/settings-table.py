"""Print the README's settings table from kiosk.config.SETTINGS (run after adding a setting)."""

from kiosk.config import SETTINGS

print("| setting | default | meaning |")
print("|---|---|---|")
for setting in SETTINGS:
    default = "—" if setting.default is None else f"`{setting.default}`"
    print(f"| `KIOSK_{setting.name}` | {default} | {setting.doc} |")
