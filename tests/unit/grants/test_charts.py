"""The SVG charts read back as XML: their names for assistive technologies, their paths, their
labels in the page's language, their contrast, and text escaped."""
import re
import xml.etree.ElementTree as ET

import pytest

from services.grants.charts import (
    AXIS_COLOUR,
    BAR_COLOUR,
    OBJECTIVE_COLOUR,
    REFERENCE_COLOUR,
    STYLES,
    TEXT_COLOUR,
    BarChartText,
    ChartText,
    CurveSeries,
    ReferenceMark,
    YearBar,
    objectives_chart,
    percent,
    survival_chart,
)
from services.grants.survival import SurvivalCurve

NS = {"svg": "http://www.w3.org/2000/svg"}
TEXT = ChartText("Survival of supported firms", "Share of firms still active, by years since first support.",
                 "Years since first support", "Firms still active")
# A curve of three steps, with its band: 1 until 1 year, 0.9 until 2, 0.75 until it stops at 3.
SUPPORTED = SurvivalCurve((0.0, 1.0, 2.0, 3.0), (1.0, 0.9, 0.75, 0.75), (1.0, 0.8, 0.6, 0.6), (1.0, 0.96, 0.86, 0.86))
COMPARISON = SurvivalCurve((0.0, 0.5, 4.0), (1.0, 0.8, 0.8), (1.0, 0.7, 0.7), (1.0, 0.88, 0.88))
BASELINES = [ReferenceMark("INSEE, 2014 cohort (Insee Première 1852)", 5, 0.61),
             ReferenceMark("INSEE, 2018 cohort (Insee Première 2070)", 5, 0.69)]


def parse(svg):
    return ET.fromstring(str(svg))


def chart(language="en", series=None, references=BASELINES, text=TEXT):
    series = series if series is not None else [CurveSeries("Supported firms", SUPPORTED),
                                                 CurveSeries("Comparison group", COMPARISON)]
    return parse(survival_chart(series, references, text, language=language, chart_id="c1"))


def texts(root, css_class):
    return [t.text for t in root.iter(f"{{{NS['svg']}}}text") if css_class in t.get("class", "").split()]


def numbers(path):
    return [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]


def test_the_chart_is_an_image_named_by_its_title_and_description():
    root = chart()
    assert root.tag == f"{{{NS['svg']}}}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.find("svg:title", NS).get("id") == "c1-title"
    assert root.find("svg:title", NS).text == "Survival of supported firms"
    assert root.find("svg:desc", NS).text == "Share of firms still active, by years since first support."
    assert list(root)[0].tag.endswith("title")  # the first child, as assistive technologies expect


def test_each_curve_is_a_step_path_in_plot_coordinates():
    root = chart()
    curves = root.findall(".//svg:g[@class='series series-0']/svg:path[@class='curve']", NS)
    assert len(curves) == 1
    d = curves[0].get("d")
    # x: 64 + 552 × years / 5; y: 20 + 300 × (1 - S).
    assert d == "M64.0,20.0H174.4V50.0H284.8V95.0H395.2"
    assert re.fullmatch(r"M[\d.,]+(?:H[\d.]+(?:V[\d.]+)?)+", d)


def test_the_band_runs_along_the_high_edge_and_back_along_the_low_edge():
    root = chart()
    band = root.find(".//svg:path[@class='band series-0']", NS).get("d")
    assert band == "M64.0,20.0H174.4V32.0H284.8V62.0H395.2L395.2,140.0H395.2H284.8V80.0H174.4V20.0H64.0Z"
    assert root.find(".//svg:path[@class='band series-0']", NS).get("fill-opacity") == "0.14"
    # Bands are drawn before every line, so that no band covers a curve.
    order = [e.get("class", "") for e in root if e.tag.endswith(("path", "g"))]
    assert order.index("band series-1") < order.index("series series-0")


def test_series_differ_by_dash_and_marker_as_well_as_colour():
    root = chart()
    first = root.find(".//svg:g[@class='series series-0']/svg:path", NS)
    second = root.find(".//svg:g[@class='series series-1']/svg:path", NS)
    assert first.get("stroke-dasharray") is None and second.get("stroke-dasharray") == "8 4"
    assert first.get("stroke") != second.get("stroke")
    markers_first = {e.get("class") for e in root.find(".//svg:g[@class='series series-0']", NS) if "marker" in e.get("class", "")}
    markers_second = {e.get("class") for e in root.find(".//svg:g[@class='series series-1']", NS) if "marker" in e.get("class", "")}
    assert markers_first == {"marker circle"} and markers_second == {"marker square"}
    # One marker per whole year the curve reaches: 1, 2, 3 for the first, 1 to 4 for the second.
    assert len(root.find(".//svg:g[@class='series series-0']", NS).findall("svg:circle", NS)) == 3
    assert len(root.find(".//svg:g[@class='series series-1']", NS).findall("svg:rect", NS)) == 4
    assert len({(s.dash, s.marker) for s in STYLES}) == len({s.dash for s in STYLES}) == len(STYLES)


def test_axes_have_ticks_in_years_and_percentages():
    root = chart()
    assert texts(root, "tick-x") == ["0", "1", "2", "3", "4", "5"]
    assert texts(root, "tick-y") == ["0%", "20%", "40%", "60%", "80%", "100%"]
    assert texts(root, "axis-name") == ["Years since first support", "Firms still active"]


def test_the_axis_reaches_the_longest_curve():
    long = SurvivalCurve((0.0, 1.0, 6.4), (1.0, 0.9, 0.9), (1.0, 0.8, 0.8), (1.0, 0.95, 0.95))
    root = chart(series=[CurveSeries("Supported firms", long)])
    assert texts(root, "tick-x") == ["0", "1", "2", "3", "4", "5", "6", "7"]


def test_reference_figures_are_crosses_with_their_values_and_named_in_the_legend():
    root = chart()
    marks = root.findall(".//svg:g[@class='references']/svg:path[@class='marker cross']", NS)
    assert len(marks) == 2
    # The 69 % cross is centred at x = 64 + 552 = 616, y = 20 + 300 × 0.31 = 113.
    assert numbers(marks[1].get("d"))[:4] == [611.0, 108.0, 621.0, 118.0]
    assert texts(root, "reference-value") == ["61%", "69%"]
    assert texts(root, "legend-label") == [
        "Supported firms", "Comparison group",
        "INSEE, 2014 cohort (Insee Première 1852) — 61%", "INSEE, 2018 cohort (Insee Première 2070) — 69%",
    ]


def test_french_charts_write_decimal_commas():
    marks = [ReferenceMark("INSEE, cohorte 2018", 5, 0.685)]
    root = chart(language="fr", references=marks)
    assert texts(root, "tick-y") == ["0\u00a0%", "20\u00a0%", "40\u00a0%", "60\u00a0%", "80\u00a0%", "100\u00a0%"]
    assert texts(root, "reference-value") == ["68,5\u00a0%"]
    assert percent(0.6854, "fr") == "68,5\u00a0%" and percent(0.6854, "en") == "68.5%"


def test_every_text_is_escaped():
    hostile = ChartText("<script>alert(1)</script>", "A & B \"quoted\"", "x < y", "</text><text>")
    svg = str(survival_chart([CurveSeries("<b>Firms</b> & co", SUPPORTED)], [], hostile, language="en"))
    assert "<script>" not in svg and "<b>" not in svg and "</text><text>" not in svg
    root = parse(svg)  # still well-formed XML
    assert root.find("svg:title", NS).text == "<script>alert(1)</script>"
    assert texts(root, "legend-label") == ["<b>Firms</b> & co"]
    assert "x < y" in texts(root, "axis-name")


def test_a_series_without_a_curve_draws_only_its_legend():
    empty = SurvivalCurve((), (), (), ())
    root = chart(series=[CurveSeries("Supported firms", empty)], references=[])
    assert root.findall(".//svg:path[@class='curve']", NS) == []
    assert texts(root, "legend-label") == ["Supported firms"]


def test_at_most_four_series():
    with pytest.raises(ValueError):
        survival_chart([CurveSeries(str(n), SUPPORTED) for n in range(5)], [], TEXT)


# --- Contrast (WCAG 2.1: 4.5:1 for text, 3:1 for graphics) ---------------------------------------


def _luminance(colour):
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour, background="#ffffff"):
    lighter, darker = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_text_and_lines_contrast_with_the_white_background():
    root = chart()
    for element in root.iter(f"{{{NS['svg']}}}text"):
        assert contrast(element.get("fill")) >= 4.5, element.get("fill")
    assert contrast(TEXT_COLOUR) >= 4.5
    for colour in [s.colour for s in STYLES] + [REFERENCE_COLOUR, AXIS_COLOUR, BAR_COLOUR, OBJECTIVE_COLOUR]:
        assert contrast(colour) >= 4.5, colour
    for element in root.findall(".//svg:path[@class='curve']", NS):
        assert contrast(element.get("stroke")) >= 3


# --- Grants against objectives -------------------------------------------------------------------

BARS_TEXT = BarChartText("Grants against objectives", "Grants awarded each year and the year's objective.",
                         "Grants awarded", "Objective", "Number of grants")


def bars(language="en"):
    return parse(objectives_chart([YearBar(2025, 4, 5), YearBar(2026, 11, 10), YearBar(2027, 0, None)],
                                  BARS_TEXT, language=language, chart_id="b1"))


def test_the_bar_chart_is_an_image_with_its_title_and_description():
    root = bars()
    assert root.get("role") == "img" and root.get("aria-labelledby") == "b1-title b1-desc"
    assert root.find("svg:title", NS).text == "Grants against objectives"
    assert root.find("svg:desc", NS).text == "Grants awarded each year and the year's objective."


def test_one_bar_per_year_with_its_number_and_the_objective_as_a_dashed_line():
    root = bars()
    rects = root.findall(".//svg:g[@class='year']/svg:rect[@class='bar']", NS)
    assert len(rects) == 3
    # y axis 0..12 (steps of 2): a bar of 4 is 100 px high, of 11 is 275 px, of 0 is flat.
    assert [float(r.get("height")) for r in rects] == [100.0, 275.0, 0.0]
    assert texts(root, "bar-value") == ["4", "11", "0"]
    assert texts(root, "tick-x") == ["2025", "2026", "2027"]  # years, never "2 025"
    assert texts(root, "tick-y") == ["0", "2", "4", "6", "8", "10", "12"]
    objectives = root.findall(".//svg:path[@class='objective']", NS)
    assert len(objectives) == 2  # 2027 has no objective
    assert all(o.get("stroke-dasharray") == "6 3" for o in objectives)
    # The objective of 10 is drawn at y = 20 + 300 × (1 - 10/12) = 70.
    assert numbers(objectives[1].get("d"))[1] == 70.0
    assert texts(root, "legend-label") == ["Grants awarded", "Objective"]


def test_bar_chart_numbers_follow_the_language():
    root = parse(objectives_chart([YearBar(2026, 1234, 2000)], BARS_TEXT, language="fr"))
    assert texts(root, "bar-value") == ["1\u202f234"]
    assert texts(root, "tick-x") == ["2026"]
