package privacy

import "time"

// SetupClock is exported to tests: it moves the service clock forward.
func SetupClock(s *Service, d time.Duration) func() {
	old := s.now
	s.now = func() time.Time { return old().Add(d) }
	return func() { s.now = old }
}
