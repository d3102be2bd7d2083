package signing

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/attest-ai/attest/internal/cmdline"
)

// DefaultSignatureFile is where sign writes and verify reads by default.
const DefaultSignatureFile = "model.sig"

const usage = `usage: attest model <command> [flags]

commands:
  sign PATH --key KEY.pem [--cert CERT.pem] [--out model.sig]
        hash the file or directory PATH in parallel and write an OMS
        signature (a Sigstore bundle) for it
  verify PATH --key PUB.pem | --cert CA.pem [--sig model.sig]
        check the signature and re-hash every file, naming each one that
        differs, is missing or is not signed
  keygen [--out signing.key] [--pub signing.pub]
        create an ECDSA P-256 key pair for signing

Run "attest model <command> -h" for the flags of one command.
`

// CLI runs "attest model sign|verify|keygen"; args start with the command.
// Progress bars go to stderr when it is a terminal.
func CLI(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, usage)
		return nil
	}
	switch args[0] {
	case "sign":
		return signCmd(ctx, args[1:], stdout, stderr)
	case "verify":
		return verifyCmd(ctx, args[1:], stdout, stderr)
	case "keygen":
		return keygenCmd(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q: run \"attest model -h\" for the list", args[0])
}

// parse parses flags that may come before or after positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: attest model %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

func signCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sign", "sign PATH --key KEY.pem [flags]", stderr)
	keyPath := fs.String("key", "", "ECDSA P-256 private key, PEM (required)")
	certPath := fs.String("cert", "", "signing certificate for the key, PEM, optionally followed by its CA chain")
	out := fs.String("out", DefaultSignatureFile, "where to write the signature")
	method := fs.String("method", MethodShards, "serialization: shards (parallel within files) or files")
	shardSize := fs.Int64("shard-size", 0, "shard size in bytes; 0 picks one from the model size")
	var ignore listFlag
	fs.Var(&ignore, "ignore-paths", "comma-separated paths inside the model to leave unsigned")
	allowSymlinks := fs.Bool("allow-symlinks", false, "follow symbolic links to files inside the model")
	pos, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) != 1 || *keyPath == "" {
		fs.Usage()
		return fmt.Errorf("sign needs exactly one model PATH and --key")
	}
	keyPEM, err := os.ReadFile(*keyPath)
	if err != nil {
		return fmt.Errorf("read signing key: %w", err)
	}
	key, err := ParsePrivateKey(keyPEM)
	if err != nil {
		return err
	}
	var chain []*x509.Certificate
	if *certPath != "" {
		certPEM, err := os.ReadFile(*certPath)
		if err != nil {
			return fmt.Errorf("read certificate: %w", err)
		}
		if chain, err = ParseCertificates(certPEM); err != nil {
			return err
		}
	}
	signer, err := NewSigner(key, chain...)
	if err != nil {
		return err
	}
	opt := HashOptions{
		Method:        *method,
		ShardSize:     *shardSize,
		IgnorePaths:   ignore,
		AllowSymlinks: *allowSymlinks,
		SignaturePath: *out,
	}
	start := time.Now()
	finish := withProgress(&opt.Progress, stderr, "hashing")
	sig, err := signer.Sign(ctx, pos[0], opt)
	finish()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, sig.Bundle, 0o644); err != nil {
		return fmt.Errorf("write signature: %w", err)
	}
	fmt.Fprintf(stdout, "signed %s: %s, %s hashed in %s\nroot digest: sha256:%s\nsigner (%s): %s\nsignature: %s\n",
		pos[0], cmdline.Count(len(sig.Manifest.Resources), "resource"), humanBytes(sig.Manifest.Bytes), time.Since(start).Round(time.Millisecond),
		sig.RootDigest, sig.Method, sig.Signer, *out)
	return nil
}

func verifyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("verify", "verify PATH --key PUB.pem | --cert CA.pem [flags]", stderr)
	sigPath := fs.String("sig", DefaultSignatureFile, "signature to verify")
	keyPath := fs.String("key", "", "signer's public key, PEM")
	certPath := fs.String("cert", "", "trusted CA certificates, PEM, for certificate signatures")
	ignoreUnsigned := fs.Bool("ignore-unsigned-files", false, "accept files the signature does not list")
	pos, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) != 1 || (*keyPath == "") == (*certPath == "") {
		fs.Usage()
		return fmt.Errorf("verify needs exactly one model PATH and either --key or --cert")
	}
	opt := VerifyOptions{IgnoreUnsignedFiles: *ignoreUnsigned, SignaturePath: *sigPath}
	if *keyPath != "" {
		data, err := os.ReadFile(*keyPath)
		if err != nil {
			return fmt.Errorf("read public key: %w", err)
		}
		if opt.PublicKey, err = ParsePublicKey(data); err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(*certPath)
		if err != nil {
			return fmt.Errorf("read CA certificates: %w", err)
		}
		certs, err := ParseCertificates(data)
		if err != nil {
			return err
		}
		opt.Roots = x509.NewCertPool()
		for _, c := range certs {
			opt.Roots.AddCert(c)
		}
	}
	bundle, err := os.ReadFile(*sigPath)
	if err != nil {
		return fmt.Errorf("read signature: %w", err)
	}
	start := time.Now()
	finish := withProgress(&opt.Progress, stderr, "verifying")
	v, err := Verify(ctx, pos[0], bundle, opt)
	finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified %s: %s, %s re-hashed in %s\nroot digest: sha256:%s\nsigner (%s): %s\n",
		pos[0], cmdline.Count(len(v.Manifest.Resources), "resource"), humanBytes(v.Bytes), time.Since(start).Round(time.Millisecond),
		v.RootDigest, v.Method, v.Signer)
	return nil
}

func keygenCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("keygen", "keygen [--out signing.key] [--pub signing.pub]", stderr)
	out := fs.String("out", "signing.key", "where to write the private key (mode 0600)")
	pubOut := fs.String("pub", "", "where to write the public key (default: --out with .pub)")
	pos, err := parse(fs, args)
	if err != nil {
		return flagErr(err)
	}
	if len(pos) != 0 {
		fs.Usage()
		return fmt.Errorf("keygen takes no arguments")
	}
	if *pubOut == "" {
		*pubOut = strings.TrimSuffix(*out, ".key") + ".pub"
	}
	priv, pub, err := GenerateKey()
	if err != nil {
		return err
	}
	// O_EXCL: never overwrite a key someone may still depend on.
	if err := writeNew(*out, priv, 0o600); err != nil {
		return err
	}
	if err := writeNew(*pubOut, pub, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "private key: %s\npublic key: %s\n", *out, *pubOut)
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w (remove it first to replace it)", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}

// withProgress installs a progress bar in *cb when w is a terminal and
// returns the function that ends its line.
func withProgress(cb *func(done, total int64), w io.Writer, label string) (finish func()) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	bar := newProgressBar(w, label)
	*cb = bar.update
	return bar.finish
}

// flagErr turns -h into a clean exit.
func flagErr(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
