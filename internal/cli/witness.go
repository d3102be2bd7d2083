package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/witness"
)

func init() {
	Register("witness", "run an independent witness that cosigns ledger checkpoints (C2SP tlog-witness)", witnessServe)
}

const witnessUsage = `usage: attest witness --log KEY [--log KEY ...] [flags]

Runs a witness for one or more attest ledgers. Each log sends its new
checkpoints to <url>/add-checkpoint with a proof that they extend the last
one this witness cosigned, and the witness cosigns only those that do. A log
therefore cannot show one history to its auditor and another to anyone else
once both have been checked against the same witness. Run it somewhere the
log's operator does not control, such as at the auditor's, and give the
log's operator two values for ledger.witnesses in their config file:

  url   the address this witness is reachable at, such as https://witness.example.com
  key   the witness key printed at start

Monitors read the newest checkpoint the witness cosigned for a log at
GET /<hex SHA-256 of the log's origin>/checkpoint.

flags:
`

func witnessServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("attest witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var logs listFlag
	addr := fs.String("addr", "127.0.0.1:7380", "listen `address`")
	dir := fs.String("data", "./attest-witness", "state `directory`: the witness key and, per log, the last checkpoint cosigned")
	keyFile := fs.String("key", "", "witness key `file`, created on first start (default DATA/witness.key)")
	name := fs.String("name", "", "`name` of the witness key when it is created (default <hostname>/witness)")
	fs.Var(&logs, "log", "verifier `key` of a log to witness, as 'attest ledger key' prints it on the log's host (repeatable); the key's name is the log's origin")
	fs.Usage = func() {
		fmt.Fprint(stderr, witnessUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q; pass each log's key with --log", fs.Arg(0))
	}
	if len(logs) == 0 {
		return usagef("--log is required: pass the verifier key of each log to witness ('attest ledger key' prints it on the log's host)")
	}
	if *keyFile == "" {
		*keyFile = filepath.Join(*dir, "witness.key")
	}
	if *name == "" {
		*name = defaultWitnessName()
	}
	kp, err := witness.LoadOrCreateKey(*keyFile, *name)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	srv, err := witness.NewServer(kp.Signer, logs, *dir, logger)
	if err != nil {
		return fmt.Errorf("%w; check the --log keys", err)
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another witness running? choose another --addr)", *addr, err)
	}
	fmt.Fprintf(stdout, "attest witness listening on http://%s; witness key %s\n", l.Addr(), kp.VerifierKey)
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// defaultWitnessName names a new witness key after this host.
func defaultWitnessName() string {
	host, _ := os.Hostname()
	host = strings.Map(func(r rune) rune {
		if r == '+' || r <= ' ' {
			return '-'
		}
		return r
	}, host)
	if host == "" {
		host = "localhost"
	}
	return host + "/witness"
}
