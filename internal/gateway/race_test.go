//go:build race

package gateway_test

// The race detector slows each request tenfold, so the canary test sends
// fewer requests under it; the normal run sends all 10,000.
const canaryRequests = 2000
