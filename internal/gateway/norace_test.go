//go:build !race

package gateway_test

// canaryRequests is how many requests the zero-retention test sends.
const canaryRequests = 10000
