"""Chart geometry: numbers and days to SVG coordinates, checked without a browser."""

from __future__ import annotations

from datetime import date

import pytest

from api.web.charts.bars import BarLayout, BarRow, bar_chart
from api.web.charts.lanes import LaneMark, LaneSpan, lane_chart
from api.web.charts.scale import LinearScale, TimeScale, nice_step, nice_ticks
from api.web.charts.shares import Part, share_bar
from api.web.charts.steps import Marker, StepLine, label_positions, step_chart, step_path
from api.web.views.panels import membership_panel, rates_panel, share_text, timeline_panel
from api.web.views.tables import Column, Row, csv_text, table
from domain.label_timeline import CountOn, StageSeries
from domain.reports import MemberShare, MembershipComposition, StageRates
from domain.values import ReportedCount


def test_nice_steps_are_one_two_two_and_a_half_or_five_times_a_power_of_ten() -> None:
    assert [nice_step(x) for x in (0.7, 1.3, 2.2, 3, 7, 42)] == [1, 2, 2.5, 5, 10, 50]


def test_count_ticks_start_at_zero_and_reach_the_maximum() -> None:
    assert nice_ticks(42) == (0, 10, 20, 30, 40, 50)
    assert nice_ticks(0) == (0, 1)
    assert nice_ticks(3) == (0, 1, 2, 3)


def test_share_ticks_run_from_zero_to_one() -> None:
    assert nice_ticks(1.0, integers=False) == pytest.approx((0, 0.2, 0.4, 0.6, 0.8, 1.0))


def test_a_linear_scale_maps_zero_and_its_maximum_to_its_ends() -> None:
    scale = LinearScale(50, 100, 400)
    assert (scale.at(0), scale.at(25), scale.at(50)) == (100, 300, 500)
    assert LinearScale(0, 100, 400).at(7) == 100


def test_a_time_scale_clamps_days_outside_its_range() -> None:
    scale = TimeScale(date(2020, 1, 1), date(2020, 12, 31), 0, 365)
    assert scale.at(date(2020, 1, 1)) == 0
    assert scale.at(date(2019, 6, 1)) == 0
    assert scale.at(date(2030, 1, 1)) == 365


def test_year_ticks_thin_out_over_long_ranges() -> None:
    ticks = TimeScale(date(2005, 1, 1), date(2026, 12, 31), 0, 1000).year_ticks()
    assert [t.text for t in ticks] == [str(y) for y in range(2006, 2027, 2)]


def test_bars_are_as_long_as_their_values_on_one_scale() -> None:
    chart = bar_chart(
        [BarRow(label="a", values=(40,)), BarRow(label="b", values=(10,))],
        ("clusters",),
        format_value=str,
        layout=BarLayout(width=600, label_width=100, value_room=0),
    )
    a, b = (row.bars[0] for row in chart.rows)
    assert chart.ticks[-1].text == "40"
    assert (a.width, b.width) == (500, 125)
    assert a.x == b.x == 100
    assert b.y > a.y


def test_a_missing_value_draws_no_bar_and_says_so() -> None:
    chart = bar_chart([BarRow(label="stage 1", values=(None, 0.5))], ("renewal", "withdrawal"),
                      format_value=share_text, maximum=1.0, integers=False)
    missing, half = chart.rows[0].bars
    assert (missing.width, missing.text) == (0, "n/a")
    assert half.text == "50%"
    assert half.y > missing.y


def test_overlapped_bars_share_a_row_with_the_first_series_in_front() -> None:
    chart = bar_chart([BarRow(label="Occitanie", values=(7, 8))], ("labelled", "active"),
                      format_value=str, layout=BarLayout(overlap=True))
    row = chart.rows[0]
    assert [b.series for b in row.bars] == [1, 0]  # drawn in this order
    assert row.bars[0].y == row.bars[1].y
    assert row.text == "7 / 8"
    assert row.text_x == row.bars[0].text_x


def test_a_step_path_rises_from_the_baseline_and_holds_each_value() -> None:
    assert step_path([(10, 50), (20, 80)], 30, 100) == "M10 100H10V50H20V80H30"


def test_a_step_chart_draws_each_series_to_its_last_day_and_places_markers_on_its_scale() -> None:
    first, last = date(2023, 1, 1), date(2024, 12, 31)
    chart = step_chart(
        [StepLine(name="Stage 5", points=((date(2023, 3, 27), 48), (date(2024, 1, 8), 50)),
                  until=date(2024, 6, 1))],
        first=first,
        last=last,
        markers=[Marker(series=0, day=date(2024, 1, 8), value=57, text="57 published")],
    )
    path, marker = chart.paths[0], chart.markers[0]
    time = TimeScale(first, last, chart.plot_left, chart.plot_right - chart.plot_left)
    assert path.end_value == 50
    assert path.d.endswith(f"H{time.at(date(2024, 6, 1)):g}")
    assert chart.y_ticks[-1].text == "60"
    assert marker.y < chart.plot_bottom
    assert (marker.name, marker.value) == ("Stage 5", 57)


def test_a_marker_label_that_would_hit_the_previous_one_goes_below_its_dot() -> None:
    assert label_positions([(100, 50), (110, 52), (300, 50)]) == [41, 71, 41]


def test_share_segments_fill_the_bar_in_proportion() -> None:
    bar = share_bar([Part(label="SME", value=31), Part(label="none", value=0),
                     Part(label="VSB", value=69)], width=1000)
    assert [(s.label, s.x, s.width, s.share) for s in bar.segments] == [
        ("SME", 0, 310, 0.31), ("VSB", 310, 690, 0.69),
    ]
    assert share_bar([Part(label="SME", value=0)]).segments == ()


def test_lane_spans_run_from_their_first_to_their_last_day() -> None:
    chart = lane_chart(
        ["Pôle", "Stage 5"],
        [LaneSpan(lane=1, first=date(2023, 3, 27), last=date(2026, 12, 31), kind="conditional",
                  text="label")],
        [LaneMark(lane=0, day=date(2020, 12, 31), kind="absorbed", text="absorbed x")],
        first=date(2020, 1, 1), last=date(2026, 12, 31), as_of=date(2030, 1, 1),
    )
    span, mark = chart.spans[0], chart.marks[0]
    assert span.x + span.width == pytest.approx(chart.plot_right)
    assert span.y > mark.y
    assert chart.as_of_x is None  # outside the drawn range


def test_the_timeline_panel_sets_each_published_count_beside_the_ledgers() -> None:
    series = StageSeries(
        stage=5, title="Stage 5", starts_on=date(2023, 1, 1), ends_on=date(2026, 12, 31),
        points=(CountOn(date(2023, 3, 27), 48), CountOn(date(2024, 1, 8), 50)),
        reported=(ReportedCount(count=55, as_of=date(2023, 3, 27), description="phase V"),),
    )
    panel = timeline_panel([series], date(2024, 6, 1))
    assert [row.cells for row in panel.table.rows] == [
        (5, date(2023, 3, 27), "phase V", 55, 48),
        (5, date(2024, 1, 8), "most clusters labelled", None, 50),
    ]


def test_rates_are_charted_as_shares_of_one() -> None:
    rates = StageRates(stage=5, title="", granted=50, conditional=8, withdrawn=0, renewed=33,
                       new_entrants=7, renewal_rate=0.825, withdrawal_rate=0.0,
                       conditional_rate=0.16)
    panel = rates_panel([rates])
    assert [b.text for b in panel.chart.rows[0].bars] == ["82.5%", "0%", "16%"]  # type: ignore[union-attr]


def test_membership_without_reports_says_there_is_nothing_to_split() -> None:
    nobody = MembershipComposition(
        clusters_reporting=0, clusters_labelled=43, earliest_report=None, latest_report=None,
        total=0, kinds=(MemberShare(kind="sme", members=0, share=None),),
    )
    panel = membership_panel(nobody)
    assert panel.note is not None
    assert panel.chart.segments == ()  # type: ignore[union-attr]


def test_a_table_is_written_as_csv_with_raw_values() -> None:
    t = table("t", (Column("day", "date"), Column("share", "share")),
              [Row(cells=(date(2024, 1, 8), 0.1667)), Row(cells=(date(2024, 1, 9), None))])
    assert csv_text(t) == "day,share\n2024-01-08,0.1667\n2024-01-09,\n"
