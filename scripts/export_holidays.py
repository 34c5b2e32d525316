"""Export the State Council holiday arrangements from the `chinesecalendar` package into
portal/calendar/data/cn_holidays.csv (day, kind, name), which the app loads at run time.

Build-time only: `pip install chinesecalendar && python scripts/export_holidays.py`. The package is not a
runtime dependency, so a newer release only changes the app once this script has been re-run and the CSV
reviewed and committed.
"""
import csv
import sys
from pathlib import Path

import chinese_calendar
from chinese_calendar.constants import Holiday

OUT = Path(__file__).resolve().parent.parent / "portal" / "calendar" / "data" / "cn_holidays.csv"

# The package names holidays in English; the State Council notices (国务院办公厅关于…部分节假日安排的通知)
# use these names.
OFFICIAL_NAMES = {
    Holiday.new_years_day.value: "元旦",
    Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节",
    Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节",
    Holiday.national_day.value: "国庆节",
    Holiday.mid_autumn_festival.value: "中秋节",
    Holiday.anti_fascist_70th_day.value: Holiday.anti_fascist_70th_day.chinese,
}


def rows() -> list[tuple[str, str, str]]:
    """Every holiday and make-up working day the package knows, sorted by day."""
    overlap = set(chinese_calendar.holidays) & set(chinese_calendar.workdays)
    if overlap:
        raise SystemExit(f"days both holiday and workday in chinesecalendar: {sorted(overlap)}")
    out = [(d.isoformat(), "holiday", OFFICIAL_NAMES[name]) for d, name in chinese_calendar.holidays.items()]
    out += [(d.isoformat(), "workday", OFFICIAL_NAMES[name]) for d, name in chinese_calendar.workdays.items()]
    return sorted(out)


def main() -> None:
    data = rows()
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("day", "kind", "name"))
        writer.writerows(data)
    years = sorted({d[:4] for d, _kind, _name in data})
    print(f"{len(data)} days ({years[0]}–{years[-1]}) from chinesecalendar {chinese_calendar.__version__} "
          f"→ {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
