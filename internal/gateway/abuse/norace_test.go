//go:build !race

package abuse

// mixHours is how long the simulated normal traffic runs.
const mixHours = 24
