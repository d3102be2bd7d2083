//go:build race

package abuse

// The race detector slows the simulation tenfold, so it simulates less.
const mixHours = 8
