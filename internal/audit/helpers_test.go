package audit

import "flag"

var update = flag.Bool("update", false, "rewrite golden files and the fixture package")

// Updating reports whether -update was given, for the external tests.
func Updating() bool { return *update }
