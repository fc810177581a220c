"""The weekly maintenance window (every Monday 02:00-04:00 Japan time by default): customer-facing
routes answer 503 with Retry-After; adjuster ingestion, health and metrics keep working."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_WINDOW = re.compile(r"^\s*([A-Za-z]{3})\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class WeeklyWindow:
    weekday: int  # Monday is 0
    start: time
    end: time  # may be earlier than start: the window runs past midnight


@dataclass(frozen=True)
class MaintenanceSchedule:
    windows: tuple[WeeklyWindow, ...]
    timezone: ZoneInfo

    @classmethod
    def parse(cls, text: str, timezone: str) -> MaintenanceSchedule:
        """'MON 02:00-04:00, THU 23:30-00:30' in `timezone`; an empty text means no window."""
        windows = []
        for part in filter(str.strip, text.split(",")):
            match = _WINDOW.match(part)
            if not match or match.group(1).upper() not in DAYS:
                raise ValueError(f"maintenance window {part.strip()!r} is not 'DAY HH:MM-HH:MM'")
            day, h1, m1, h2, m2 = match.groups()
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
            if start == end:  # would close the service for a whole day: surely a typo
                raise ValueError(f"maintenance window {part.strip()!r} starts when it ends")
            windows.append(WeeklyWindow(DAYS.index(day.upper()), start, end))
        return cls(tuple(windows), ZoneInfo(timezone))

    def ends_at(self, now: datetime) -> datetime | None:
        """When the window `now` falls in ends, or None outside every window."""
        local = now.astimezone(self.timezone)
        for window in self.windows:
            for days_back in (0, 1):
                day = (local - timedelta(days=days_back)).date()
                if day.weekday() != window.weekday:
                    continue
                start = datetime.combine(day, window.start, self.timezone)
                end = datetime.combine(day, window.end, self.timezone)
                if end <= start:
                    end += timedelta(days=1)
                if start <= local < end:
                    return end
        return None

    def retry_after_seconds(self, now: datetime) -> int | None:
        end = self.ends_at(now)
        if end is None:
            return None
        return max(1, int((end - now.astimezone(self.timezone)).total_seconds() + 0.999))
