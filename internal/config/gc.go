package config

import "runtime/debug"

// ApplyGC sets the collector's target to percent (Config.GCPercent) unless
// the GOGC environment variable, Go's own knob, already set it.
func ApplyGC(percent int, getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(percent)
}
