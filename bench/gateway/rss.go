package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// runRSS prints a process's resident set size in MiB from /proc.
func runRSS(args []string) error {
	fs := flag.NewFlagSet("rss", flag.ContinueOnError)
	pid := fs.Int("pid", 0, "process id")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", *pid))
	if err != nil {
		return fmt.Errorf("read process status: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			var kb float64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			fmt.Printf("%.1f\n", kb/1024)
			return nil
		}
	}
	return fmt.Errorf("no VmRSS for process %d", *pid)
}
