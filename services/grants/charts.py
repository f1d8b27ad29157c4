"""Charts drawn on the server as SVG, for pages readable without JavaScript and for print:
survival curves with their confidence bands, and grants against the year's objective.

Accessible (RGAA / WCAG 2.1 AA): each chart is `role="img"` named by its `<title>` and
`<desc>` (the words are passed in, so that pages translate them; the page also gives the
figures as a table); series are told apart by their dash pattern and marker as well as their
colour; text is #1a1a1a on white (17:1) and every line and mark at least 4.5:1 against white.
Every text is escaped (the SVG is built with ElementTree). Numbers are written in the page's
language: "68,5 %" in French, "68.5%" in English.

Used by the impact issue (14): the funders' indicators report.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from services.grants.survival import SurvivalCurve
from shared.core.money import LOCALES

SVG = "http://www.w3.org/2000/svg"
TEXT_COLOUR = "#1a1a1a"
AXIS_COLOUR = "#595959"
GRID_COLOUR = "#d9d9d9"  # decorative: the ticks' labels carry the values
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


@dataclass(frozen=True)
class SeriesStyle:
    colour: str
    dash: str | None  # SVG stroke-dasharray; None for a solid line
    marker: str  # circle, square, triangle, diamond


# In this order: supported firms, comparison group, then any breakdown. Each colour has at least
# 4.5:1 against white (checked by the tests), and no two share a dash pattern or a marker.
STYLES = (
    SeriesStyle("#1f4e8c", None, "circle"),
    SeriesStyle("#a13b0a", "8 4", "square"),
    SeriesStyle("#2b6a2e", "2 3", "triangle"),
    SeriesStyle("#6a2c8e", "10 3 2 3", "diamond"),
)
REFERENCE_COLOUR = "#1a1a1a"


@dataclass(frozen=True)
class CurveSeries:
    label: str  # "Supported firms", "Comparison group": shown in the legend
    curve: SurvivalCurve


@dataclass(frozen=True)
class ReferenceMark:
    """A figure to compare with, such as INSEE's national 5-year survival (61 % for the 2014
    cohort, 69 % for 2018): drawn as a cross at (years, survival) with its value, named in the
    legend by its label (with its source)."""

    label: str
    years: float
    survival: float


@dataclass(frozen=True)
class ChartText:
    title: str
    description: str
    x_axis: str  # "Years since first support"
    y_axis: str  # "Firms still active"


@dataclass(frozen=True)
class YearBar:
    year: int
    grants: int
    objective: int | None


@dataclass(frozen=True)
class BarChartText:
    title: str
    description: str
    grants: str  # "Grants awarded"
    objective: str  # "Objective"
    y_axis: str  # "Number of grants"


# --- Layout ------------------------------------------------------------------------------------

WIDTH, PLOT_HEIGHT = 640, 300
LEFT, RIGHT, TOP = 64, 24, 20
AXIS_SPACE = 52  # under the plot: tick labels and the axis' name
LEGEND_LINE = 22


class _Frame:
    """Maps data to the plot's pixels."""

    def __init__(self, x_max: float, y_max: float):
        self.x_max, self.y_max = x_max, y_max
        self.width = WIDTH - LEFT - RIGHT

    def x(self, value: float) -> float:
        return round(LEFT + self.width * value / self.x_max, 2)

    def y(self, value: float) -> float:
        return round(TOP + PLOT_HEIGHT * (1 - value / self.y_max), 2)


def _svg(chart_id: str, text_title: str, text_description: str, height: int) -> ET.Element:
    svg = ET.Element("svg", {
        "xmlns": SVG, "role": "img", "viewBox": f"0 0 {WIDTH} {height}", "width": str(WIDTH),
        "height": str(height), "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
        "font-family": FONT, "font-size": "13", "class": "chart",
    })
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = text_title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = text_description
    ET.SubElement(svg, "rect", {"x": "0", "y": "0", "width": str(WIDTH), "height": str(height), "fill": "#ffffff"})
    return svg


def _text(parent: ET.Element, x: float, y: float, words: str, **attributes) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": str(x), "y": str(y), "fill": TEXT_COLOUR,
                                             **{k.rstrip("_").replace("_", "-"): str(v) for k, v in attributes.items()}})
    element.text = words
    return element


def _markup(svg: ET.Element) -> Markup:
    # ElementTree escapes every text and attribute it writes.
    return Markup(ET.tostring(svg, encoding="unicode"))


def _locale(language: str) -> str:
    return LOCALES.get(language, "fr_FR")


def percent(value: float, language: str) -> str:
    """0.685 -> "68,5 %" in French, "68.5%" in English (one decimal at most)."""
    return format_percent(Decimal(str(round(value, 3))), locale=_locale(language), decimal_quantization=False)


def _marker(parent: ET.Element, shape: str, x: float, y: float, colour: str, size: float = 4.5) -> None:
    style = {"fill": colour, "stroke": "#ffffff", "stroke-width": "1", "class": f"marker {shape}"}
    if shape == "circle":
        ET.SubElement(parent, "circle", {"cx": str(x), "cy": str(y), "r": str(size), **style})
    elif shape == "square":
        s = size * 0.9
        ET.SubElement(parent, "rect", {"x": str(round(x - s, 2)), "y": str(round(y - s, 2)),
                                       "width": str(round(2 * s, 2)), "height": str(round(2 * s, 2)), **style})
    elif shape == "triangle":
        s = size * 1.2
        points = f"{x},{round(y - s, 2)} {round(x + s, 2)},{round(y + s * 0.8, 2)} {round(x - s, 2)},{round(y + s * 0.8, 2)}"
        ET.SubElement(parent, "polygon", {"points": points, **style})
    elif shape == "diamond":
        s = size * 1.25
        points = f"{x},{round(y - s, 2)} {round(x + s, 2)},{y} {x},{round(y + s, 2)} {round(x - s, 2)},{y}"
        ET.SubElement(parent, "polygon", {"points": points, **style})
    else:  # a cross, for the reference figures
        s = size
        ET.SubElement(parent, "path", {
            "d": f"M{round(x - s, 2)},{round(y - s, 2)}L{round(x + s, 2)},{round(y + s, 2)}"
                 f"M{round(x - s, 2)},{round(y + s, 2)}L{round(x + s, 2)},{round(y - s, 2)}",
            "stroke": colour, "stroke-width": "2.5", "fill": "none", "class": "marker cross",
        })


# --- Survival curves ---------------------------------------------------------------------------


def step_path(frame: _Frame, years: Sequence[float], values: Sequence[float]) -> str:
    """The step line through (years[i], values[i]): flat until the next time, then down."""
    points = [f"M{frame.x(years[0])},{frame.y(values[0])}"]
    for index in range(1, len(years)):
        points.append(f"H{frame.x(years[index])}")
        if values[index] != values[index - 1]:
            points.append(f"V{frame.y(values[index])}")
    return "".join(points)


def band_path(frame: _Frame, curve: SurvivalCurve) -> str:
    """The confidence band: along the high edge as steps, back along the low edge."""
    upper = step_path(frame, curve.years, curve.high)
    back = [f"L{frame.x(curve.years[-1])},{frame.y(curve.low[-1])}"]
    for index in range(len(curve.years) - 1, 0, -1):
        back.append(f"H{frame.x(curve.years[index])}")
        if curve.low[index] != curve.low[index - 1]:
            back.append(f"V{frame.y(curve.low[index - 1])}")
    back.append(f"H{frame.x(curve.years[0])}Z")
    return upper + "".join(back)


def _value_at(curve: SurvivalCurve, years: float) -> float:
    value = curve.survival[0]
    for time, survival in zip(curve.years, curve.survival):
        if time > years:
            break
        value = survival
    return value


def survival_chart(series: Sequence[CurveSeries], references: Sequence[ReferenceMark], text: ChartText, *,
                   language: str = "fr", chart_id: str = "survival-chart", years: int | None = None) -> Markup:
    """Survival curves as steps with their shaded 95 % bands, one style per series, and the
    reference figures as crosses with their values. The x axis runs to `years` (by default 5,
    or further when a curve or a mark goes further)."""
    if len(series) > len(STYLES):
        raise ValueError(f"At most {len(STYLES)} series on one chart.")
    furthest = max([5.0] + [s.curve.years[-1] for s in series if s.curve.years] + [r.years for r in references])
    x_max = years or math.ceil(furthest)
    frame = _Frame(x_max, 1.0)
    legend_rows = len(series) + len(references)
    height = TOP + PLOT_HEIGHT + AXIS_SPACE + 12 + LEGEND_LINE * legend_rows
    svg = _svg(chart_id, text.title, text.description, height)

    axes = ET.SubElement(svg, "g", {"class": "axes"})
    for step in range(0, 6):
        value = step / 5
        y = frame.y(value)
        ET.SubElement(axes, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": str(y), "y2": str(y),
                                     "stroke": GRID_COLOUR, "stroke-width": "1"})
        _text(axes, LEFT - 8, y + 4, percent(value, language), text_anchor="end", class_="tick tick-y")
    for year in range(0, x_max + 1):
        x = frame.x(year)
        ET.SubElement(axes, "line", {"x1": str(x), "x2": str(x), "y1": str(TOP + PLOT_HEIGHT),
                                     "y2": str(TOP + PLOT_HEIGHT + 5), "stroke": AXIS_COLOUR, "stroke-width": "1"})
        _text(axes, x, TOP + PLOT_HEIGHT + 20, format_decimal(year, locale=_locale(language)),
              text_anchor="middle", class_="tick tick-x")
    ET.SubElement(axes, "path", {"d": f"M{LEFT},{TOP}V{TOP + PLOT_HEIGHT}H{WIDTH - RIGHT}",
                                 "stroke": AXIS_COLOUR, "stroke-width": "1.5", "fill": "none"})
    _text(axes, LEFT + frame.width / 2, TOP + PLOT_HEIGHT + 42, text.x_axis, text_anchor="middle",
          class_="axis-name axis-name-x")
    _text(axes, 16, TOP + PLOT_HEIGHT / 2, text.y_axis, text_anchor="middle", class_="axis-name axis-name-y",
          transform=f"rotate(-90 16 {TOP + PLOT_HEIGHT / 2})")

    # Bands first, so that every line is drawn over every band.
    for index, one in enumerate(series):
        if len(one.curve.years) >= 2:
            ET.SubElement(svg, "path", {"d": band_path(frame, one.curve), "fill": STYLES[index].colour,
                                        "fill-opacity": "0.14", "stroke": "none", "class": f"band series-{index}"})
    for index, one in enumerate(series):
        style = STYLES[index]
        group = ET.SubElement(svg, "g", {"class": f"series series-{index}"})
        if len(one.curve.years) < 2:
            continue
        line = {"d": step_path(frame, one.curve.years, one.curve.survival), "fill": "none",
                "stroke": style.colour, "stroke-width": "2.5", "class": "curve"}
        if style.dash:
            line["stroke-dasharray"] = style.dash
        ET.SubElement(group, "path", line)
        for year in range(1, x_max + 1):
            if year <= one.curve.years[-1]:
                _marker(group, style.marker, frame.x(year), frame.y(_value_at(one.curve, year)), style.colour)

    marks = ET.SubElement(svg, "g", {"class": "references"})
    for mark in references:
        x, y = frame.x(mark.years), frame.y(mark.survival)
        _marker(marks, "cross", x, y, REFERENCE_COLOUR, size=5)
        _text(marks, round(x - 9, 2), round(y + 4, 2), percent(mark.survival, language), text_anchor="end",
              class_="reference-value", font_weight="bold")

    legend = ET.SubElement(svg, "g", {"class": "legend"})
    top = TOP + PLOT_HEIGHT + AXIS_SPACE + 12
    for row, one in enumerate(series):
        style, y = STYLES[row], top + row * LEGEND_LINE
        sample = {"d": f"M{LEFT},{y}H{LEFT + 36}", "stroke": style.colour, "stroke-width": "2.5", "fill": "none"}
        if style.dash:
            sample["stroke-dasharray"] = style.dash
        ET.SubElement(legend, "path", sample)
        _marker(legend, style.marker, LEFT + 18, y, style.colour)
        _text(legend, LEFT + 46, y + 4, one.label, class_="legend-label")
    for offset, mark in enumerate(references):
        y = top + (len(series) + offset) * LEGEND_LINE
        _marker(legend, "cross", LEFT + 18, y, REFERENCE_COLOUR, size=5)
        _text(legend, LEFT + 46, y + 4, f"{mark.label} — {percent(mark.survival, language)}", class_="legend-label")
    return _markup(svg)


# --- Grants against objectives -----------------------------------------------------------------

BAR_COLOUR = "#1f4e8c"
OBJECTIVE_COLOUR = "#a13b0a"


def _nice_step(largest: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500):
        if largest / step <= 6:
            return step
    return 10 ** (len(str(largest)) - 1)


def objectives_chart(bars: Sequence[YearBar], text: BarChartText, *, language: str = "fr",
                     chart_id: str = "objectives-chart") -> Markup:
    """One bar per year for the grants awarded, its number above it, and the year's objective
    as a dashed line across the bar's place with a diamond at its end."""
    largest = max([1] + [b.grants for b in bars] + [b.objective or 0 for b in bars])
    step = _nice_step(largest)
    y_max = max(step, math.ceil(largest / step) * step)
    frame = _Frame(max(1, len(bars)), y_max)
    height = TOP + PLOT_HEIGHT + AXIS_SPACE - 16 + 12 + LEGEND_LINE * 2
    svg = _svg(chart_id, text.title, text.description, height)
    locale = _locale(language)

    axes = ET.SubElement(svg, "g", {"class": "axes"})
    for value in range(0, y_max + 1, step):
        y = frame.y(value)
        ET.SubElement(axes, "line", {"x1": str(LEFT), "x2": str(WIDTH - RIGHT), "y1": str(y), "y2": str(y),
                                     "stroke": GRID_COLOUR, "stroke-width": "1"})
        _text(axes, LEFT - 8, y + 4, format_decimal(value, locale=locale), text_anchor="end", class_="tick tick-y")
    ET.SubElement(axes, "path", {"d": f"M{LEFT},{TOP}V{TOP + PLOT_HEIGHT}H{WIDTH - RIGHT}",
                                 "stroke": AXIS_COLOUR, "stroke-width": "1.5", "fill": "none"})
    _text(axes, 16, TOP + PLOT_HEIGHT / 2, text.y_axis, text_anchor="middle", class_="axis-name axis-name-y",
          transform=f"rotate(-90 16 {TOP + PLOT_HEIGHT / 2})")

    slot = frame.width / max(1, len(bars))
    bar_width = min(56.0, slot * 0.55)
    for index, bar in enumerate(bars):
        centre = LEFT + slot * (index + 0.5)
        group = ET.SubElement(svg, "g", {"class": "year"})
        top = frame.y(bar.grants)
        ET.SubElement(group, "rect", {
            "x": str(round(centre - bar_width / 2, 2)), "y": str(top), "width": str(round(bar_width, 2)),
            "height": str(round(TOP + PLOT_HEIGHT - top, 2)), "fill": BAR_COLOUR, "class": "bar",
        })
        _text(group, round(centre, 2), round(top - 6, 2), format_decimal(bar.grants, locale=locale),
              text_anchor="middle", class_="bar-value", font_weight="bold")
        if bar.objective is not None:
            y = frame.y(bar.objective)
            half = min(slot * 0.45, bar_width / 2 + 14)
            # A white edge under the dashes, so that the line shows where it crosses the bar.
            ET.SubElement(group, "path", {"d": f"M{round(centre - half, 2)},{y}H{round(centre + half, 2)}",
                                          "stroke": "#ffffff", "stroke-width": "5.5", "fill": "none"})
            ET.SubElement(group, "path", {
                "d": f"M{round(centre - half, 2)},{y}H{round(centre + half, 2)}", "stroke": OBJECTIVE_COLOUR,
                "stroke-width": "2.5", "stroke-dasharray": "6 3", "fill": "none", "class": "objective",
            })
            _marker(group, "diamond", round(centre + half, 2), y, OBJECTIVE_COLOUR)
        _text(group, round(centre, 2), TOP + PLOT_HEIGHT + 20, str(bar.year), text_anchor="middle", class_="tick tick-x")

    legend = ET.SubElement(svg, "g", {"class": "legend"})
    top = TOP + PLOT_HEIGHT + AXIS_SPACE - 16 + 12
    ET.SubElement(legend, "rect", {"x": str(LEFT + 8), "y": str(top - 7), "width": "20", "height": "14",
                                   "fill": BAR_COLOUR})
    _text(legend, LEFT + 46, top + 4, text.grants, class_="legend-label")
    y = top + LEGEND_LINE
    ET.SubElement(legend, "path", {"d": f"M{LEFT},{y}H{LEFT + 36}", "stroke": OBJECTIVE_COLOUR, "stroke-width": "2.5",
                                   "stroke-dasharray": "6 3", "fill": "none"})
    _marker(legend, "diamond", LEFT + 36, y, OBJECTIVE_COLOUR)
    _text(legend, LEFT + 46, y + 4, text.objective, class_="legend-label")
    return _markup(svg)
