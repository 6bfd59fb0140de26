"""The rich progress bars show counts and a rate, and end with the totals reached."""

import io
import time

from rich.console import Console

from tooncrafter_batch.progress import BarProgress, RateColumn


def test_bars_show_count_and_rate():
    output = io.StringIO()
    bars = BarProgress(Console(file=output, width=120, force_terminal=False))
    bars.start("interpolate", 10)  # estimated too high: close() sets the total to what was done
    for _ in range(4):
        bars.advance("interpolate")
        time.sleep(0.02)
    task = bars._bars.tasks[0]
    rate = RateColumn().render(task).plain
    bars.close()
    assert rate.endswith("/s") and float(rate[:-2]) > 0
    final = output.getvalue().splitlines()[-1]
    assert "4/4" in final and "/s" in final  # the last line keeps the rate


def test_rate_is_blank_before_any_progress():
    bars = BarProgress(Console(file=io.StringIO(), force_terminal=False))
    bars.start("decode", None)
    assert RateColumn().render(bars._bars.tasks[0]).plain == ""
    bars.close()


def test_bars_that_never_started_print_nothing():
    output = io.StringIO()
    BarProgress(Console(file=output, force_terminal=True)).close()  # e.g. the run failed on its input
    assert output.getvalue() == ""
