package chargeback

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Window is a span of time [Start, End), in UTC.
type Window struct {
	Start, End time.Time
}

// Contains reports whether t is in [Start, End).
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && t.Before(w.End) }

// String is the window as ParseWindow reads it back: "2026-11-01T00:00:00Z,2026-12-01T00:00:00Z".
func (w Window) String() string {
	return w.Start.UTC().Format(time.RFC3339) + "," + w.End.UTC().Format(time.RFC3339)
}

var durationWindow = regexp.MustCompile(`^([0-9]{1,4})([mhdw])$`)

// ParseWindow reads a window the way OpenCost's allocation API does, in UTC, at now:
//
//   - "today", "yesterday": the day, midnight to midnight;
//   - "week" (since Sunday 00:00 until now), "lastweek" (the Sunday-to-Sunday week before);
//   - "month" (since the 1st 00:00 until now), "lastmonth" (the calendar month before);
//   - "30m", "24h", "7d", "2w": the last N minutes, hours or days including the current one, so that "7d" is
//     today and the 6 days before it, midnight to the next midnight ("2w" ends tonight at midnight too);
//   - "start,end" as two RFC 3339 times or two Unix times in seconds.
//
// The end of "week" and "month" is now, so a report includes the hour in progress.
func ParseWindow(s string, now time.Time) (Window, error) {
	now = now.UTC()
	day := 24 * time.Hour
	today := now.Truncate(day)
	switch s {
	case "today":
		return Window{today, today.Add(day)}, nil
	case "yesterday":
		return Window{today.Add(-day), today}, nil
	case "week":
		return Window{today.Add(-day * time.Duration(today.Weekday())), now}, nil
	case "lastweek":
		start := today.Add(-day * time.Duration(today.Weekday()+7))
		return Window{start, start.Add(7 * day)}, nil
	case "month":
		return Window{MonthStart(now), now}, nil
	case "lastmonth":
		end := MonthStart(now)
		return Window{MonthStart(end.Add(-time.Nanosecond)), end}, nil
	}
	if m := durationWindow.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n == 0 {
			return Window{}, fmt.Errorf("window %q is empty", s)
		}
		unit := map[string]time.Duration{"m": time.Minute, "h": time.Hour, "d": day, "w": 7 * day}[m[2]]
		if m[2] == "w" {
			end := today.Add(day)
			return Window{end.Add(-time.Duration(n) * unit), end}, nil
		}
		end := now.Truncate(unit).Add(unit)
		return Window{end.Add(-time.Duration(n) * unit), end}, nil
	}
	if a, b, ok := strings.Cut(s, ","); ok {
		start, err1 := parseTime(a)
		end, err2 := parseTime(b)
		if err1 != nil || err2 != nil {
			return Window{}, fmt.Errorf("window %q: want two RFC 3339 times or two Unix times, such as 2026-11-01T00:00:00Z,2026-12-01T00:00:00Z", s)
		}
		if !end.After(start) {
			return Window{}, fmt.Errorf("window %q ends before it starts", s)
		}
		return Window{start, end}, nil
	}
	return Window{}, fmt.Errorf("window %q: want today, yesterday, week, lastweek, month, lastmonth, a duration such as 7d, or start,end", s)
}

func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.Unix(sec, 0).UTC(), nil
}

// MonthStart is midnight UTC on the first of t's month.
func MonthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}
