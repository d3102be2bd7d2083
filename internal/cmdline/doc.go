// Package cmdline holds what attest's command groups share without
// importing the command line itself: the usage error that exits 2 and
// counted nouns for messages. internal/cli imports the packages that
// contribute command groups (controls, audit, guard, ...), so those cannot
// import it; they import this leaf package instead.
package cmdline
