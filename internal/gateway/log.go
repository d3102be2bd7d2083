package gateway

import "log/slog"

func attr(k string, v any) slog.Attr { return slog.Any(k, v) }

func levelFor(status int) slog.Level {
	if status >= 500 {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}
