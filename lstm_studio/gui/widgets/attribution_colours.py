"""Attribution colours without Qt: shared by the on-screen strips and the HTML handout.

Red pushes towards the explained class, blue away from it, white is neutral; the strength is
scaled to the largest |attribution| of the text.
"""

from __future__ import annotations

import html

POSITIVE = (224, 49, 49)  # red: pushes towards the explained class
NEGATIVE = (28, 126, 214)  # blue: pushes away from it


def attribution_colour(value: float, scale: float) -> str:
    """A background colour from white (0) to full red (+scale) or blue (−scale)."""
    strength = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    red, green, blue = POSITIVE if value >= 0 else NEGATIVE
    mix = [round(255 + (channel - 255) * strength * 0.85) for channel in (red, green, blue)]
    return "#{:02x}{:02x}{:02x}".format(*mix)


def attribution_html(tokens: list[str], values: list[float], oov: list[bool] | None = None
                     ) -> str:
    """The tokens as coloured spans; unknown ones struck through."""
    scale = max((abs(v) for v in values), default=0.0)
    parts = []
    for index, (token, value) in enumerate(zip(tokens, values, strict=True)):
        word = html.escape(token)
        if oov and oov[index]:
            word = f"<s>{word}</s>"
        colour = attribution_colour(value, scale)
        text = "#ffffff" if scale and abs(value) / scale > 0.6 else "#212529"
        parts.append(f"<span style='background:{colour}; color:{text}' "
                     f"title='{value:+.4f}'>&nbsp;{word}&nbsp;</span>")
    return " ".join(parts)
