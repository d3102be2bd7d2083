package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/attest-ai/attest/internal/app"
	"github.com/attest-ai/attest/internal/cmdline"
	"github.com/attest-ai/attest/internal/config"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/monitor"
	"github.com/attest-ai/attest/internal/registry"
	"github.com/attest-ai/attest/internal/registry/signing"
)

func init() {
	Register("model", "register, sign, verify, evaluate, promote and trace models", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) > 0 {
			switch args[0] {
			case "sign", "keygen":
				return signing.CLI(ctx, args, stdout, stderr)
			case "verify":
				if !slices.ContainsFunc(args, func(a string) bool {
					return a == "--record" || a == "-record" || strings.HasPrefix(a, "--record=") || strings.HasPrefix(a, "-record=")
				}) {
					return signing.CLI(ctx, args, stdout, stderr)
				}
				return modelVerifyRecord(ctx, args[1:], stdout, stderr)
			}
		}
		// sign, verify and keygen are handled above; they are listed for
		// the usage line.
		return sub(ctx, "model", map[string]Func{
			"register": modelRegister, "list": modelList, "show": modelShow, "card": modelCard,
			"version": modelVersion, "attach": modelAttach, "sign": nil, "verify": nil, "keygen": nil,
			"trust-key": modelTrustKey, "keys": modelKeys, "revoke-key": modelRevokeKey,
			"history": modelHistory, "provenance": modelProvenance,
			"promote": promoteCmd(registry.KindModel), "emergency": modelEmergency, "rollback": modelRollback,
			"aliases": modelAliases, "serve-check": modelServeCheck,
			"drift-reference": modelDriftReference, "drift": modelDrift, "alerts": modelAlerts, "close-alert": modelCloseAlert,
		}, args, stdout, stderr)
	})
	Register("change", "list, approve, reject and review change requests", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "change", map[string]Func{
			"list": changeList, "show": changeShow, "approve": changeDecide("approve"), "reject": changeDecide("reject"), "review": changeReview,
		}, args, stdout, stderr)
	})
	Register("dataset", "register datasets and their snapshots", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "dataset", map[string]Func{
			"register": datasetRegister, "snapshot": datasetSnapshot, "list": datasetList, "show": datasetShow,
		}, args, stdout, stderr)
	})
	Register("prompt", "version prompt templates and promote them", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "prompt", map[string]Func{
			"create": promptCreate, "version": promptVersion, "list": promptList, "show": promptShow,
			"promote": promoteCmd(registry.KindPrompt),
		}, args, stdout, stderr)
	})
	Register("eval", "register evaluation suites, run and replay them", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		return sub(ctx, "eval", map[string]Func{
			"register": evalRegister, "run": evalRun, "replay": evalReplay, "list": evalList, "show": evalShow,
		}, args, stdout, stderr)
	})
}

// regCmd is an opened registry command: the app, the tenant it acts on,
// who acts, and the positional arguments.
type regCmd struct {
	a      *app.App
	tenant string
	actor  ledger.Actor
	args   []string
	json   bool
}

// openReg parses "attest NOUN VERB ARG... [flags]" (npos positional
// arguments first), opens the local app and resolves the actor. Local
// commands act as "cli:NAME": whoever can read the data directory already
// controls the instance, so --actor names the person for the evidence.
func openReg(ctx context.Context, name string, npos int, synopsis string, args []string, stderr io.Writer, extra func(*flag.FlagSet)) (*regCmd, error) {
	if len(args) < npos || slices.ContainsFunc(args[:npos], func(a string) bool { return strings.HasPrefix(a, "-") }) {
		if slices.Contains(args, "-h") || slices.Contains(args, "--help") {
			npos = 0
		} else {
			return nil, usagef("usage: attest %s %s [flags]", name, synopsis)
		}
	}
	var tenant, actor, kind string
	var asJSON bool
	c, _, err := loadConfig(name, args[npos:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "tenant to act on (default: the configured tenant)")
		fs.StringVar(&actor, "actor", "cli", "who is acting, recorded in the ledger as cli:NAME")
		fs.StringVar(&kind, "actor-kind", "human", "human or agent: agents may propose changes but never approve them")
		fs.BoolVar(&asJSON, "json", false, "print JSON")
		if extra != nil {
			extra(fs)
		}
	})
	if err != nil {
		return nil, err
	}
	if kind != string(ledger.ActorHuman) && kind != string(ledger.ActorAgent) {
		return nil, usagef("--actor-kind must be human or agent")
	}
	if tenant == "" {
		tenant = c.Tenant
	}
	a, err := openApp(ctx, c, app.NewLogger(c, stderr))
	if err != nil {
		return nil, err
	}
	return &regCmd{a: a, tenant: tenant, actor: ledger.Actor{Kind: ledger.ActorKind(kind), ID: "cli:" + actor}, args: args[:npos], json: asJSON}, nil
}

// listFlag collects a repeatable or comma-separated flag.
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

// numFlag collects repeatable name=value flags.
type numFlag map[string]float64

func (n numFlag) String() string { return "" }

func (n numFlag) Set(v string) error {
	name, val, ok := strings.Cut(v, "=")
	x, err := strconv.ParseFloat(val, 64)
	if !ok || err != nil || name == "" {
		return fmt.Errorf("want NAME=NUMBER, such as accuracy=0.9")
	}
	n[name] = x
	return nil
}

// table prints v as JSON with --json, otherwise as an aligned table that
// rows writes tab-separated lines to.
func (r *regCmd) table(w io.Writer, v any, rows func(tw io.Writer)) error {
	return r.print(w, v, func() {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		rows(tw)
		tw.Flush()
	})
}

func (r *regCmd) print(w io.Writer, v any, human func()) error {
	if r.json {
		return printJSON(w, v)
	}
	human()
	return nil
}

func readFileFlag(what, path string) ([]byte, error) {
	if path == "" {
		return nil, usagef("--%s is required", what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read --%s: %w", what, err)
	}
	return b, nil
}

func modelRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.ModelSpec
	var sources, limits listFlag
	var risk string
	r, err := openReg(ctx, "model register", 1, "NAME --purpose TEXT --owner TEAM --risk high|limited|minimal", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Purpose, "purpose", "", "what the model is for")
		fs.StringVar(&spec.Owner, "owner", "", "who answers for it")
		fs.StringVar(&risk, "risk", "", "risk classification: high, limited or minimal")
		fs.StringVar(&spec.IntendedUse, "intended-use", "", "intended use")
		fs.Var(&sources, "data-sources", "data sources (comma-separated or repeated)")
		fs.Var(&limits, "limitation", "a known limitation (repeatable)")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	spec.Name, spec.Risk, spec.DataSources, spec.Limitations = r.args[0], registry.Risk(risk), sources, limits
	m, err := r.a.Models.RegisterModel(ctx, r.tenant, r.actor, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, m, func() {
		fmt.Fprintf(stdout, "registered model %s (risk %s); ledger index %d\n", m.Name, m.Risk, m.Index)
	})
}

func modelList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model list", 0, "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	ms, err := r.a.Models.Models(ctx, r.tenant)
	if err != nil {
		return err
	}
	return r.table(stdout, ms, func(tw io.Writer) {
		fmt.Fprintln(tw, "NAME\tRISK\tOWNER\tVERSIONS\tPURPOSE")
		for _, m := range ms {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", m.Name, m.Risk, m.Owner, len(m.Versions), m.Purpose)
		}
	})
}

func modelShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model show", 1, "NAME|NAME@VERSION", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	if strings.Contains(r.args[0], "@") {
		v, err := r.a.Models.Version(ctx, r.tenant, r.args[0])
		if err != nil {
			return err
		}
		return printJSON(stdout, v)
	}
	c, err := r.a.Models.Card(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	return printJSON(stdout, c)
}

func modelCard(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model card", 1, "NAME [--json]", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	c, err := r.a.Models.Card(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	return r.print(stdout, c, func() { stdout.Write(c.Markdown()) })
}

// parseDatasetRef reads "NAME@sha256:HEX".
func parseDatasetRef(s string) (registry.DatasetRef, error) {
	name, digest, ok := strings.Cut(s, "@")
	if !ok || name == "" || digest == "" {
		return registry.DatasetRef{}, usagef("--dataset %q must be NAME@sha256:HEX", s)
	}
	return registry.DatasetRef{Name: name, Digest: digest}, nil
}

func parseTime(what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, usagef("--%s must be an RFC 3339 time such as 2025-10-01T09:00:00Z", what)
	}
	return t, nil
}

func modelVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.VersionSpec
	var sigPath, repo, commit, path, base, hyper, started, finished string
	var datasets listFlag
	r, err := openReg(ctx, "model version", 1, "NAME@VERSION (--sig model.sig | --digest sha256:HEX)", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&sigPath, "sig", "", "OMS signature file from 'attest model sign': checked against the trusted keys")
		fs.StringVar(&spec.Digest, "digest", "", "the model's OMS root digest, when registering before signing")
		fs.Var(&datasets, "dataset", "dataset snapshot trained on, NAME@sha256:HEX (repeatable)")
		fs.StringVar(&repo, "code-repo", "", "training code repository URL")
		fs.StringVar(&commit, "code-commit", "", "full git commit of the training code")
		fs.StringVar(&path, "code-path", "", "entry point within the repository")
		fs.StringVar(&base, "base-model", "", "base model, NAME@sha256:HEX")
		fs.StringVar(&hyper, "hyperparams", "", "JSON file of hyperparameters")
		fs.StringVar(&spec.TrainingRun, "training-run", "", "training run id (the OpenLineage run id)")
		fs.StringVar(&spec.Builder, "builder", "", "URI of the training platform")
		fs.StringVar(&started, "started", "", "training start, RFC 3339")
		fs.StringVar(&finished, "finished", "", "training end, RFC 3339")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	model, ver, err := registry.ParseRef(r.args[0])
	if err != nil {
		return err
	}
	spec.Version = ver
	if sigPath != "" {
		if spec.Bundle, err = readFileFlag("sig", sigPath); err != nil {
			return err
		}
	}
	for _, d := range datasets {
		ref, err := parseDatasetRef(d)
		if err != nil {
			return err
		}
		spec.Datasets = append(spec.Datasets, ref)
	}
	if repo != "" || commit != "" {
		spec.Code = &registry.Code{Repository: repo, Commit: commit, Path: path}
	}
	if base != "" {
		ref, err := parseDatasetRef(base)
		if err != nil {
			return err
		}
		spec.BaseModel = &registry.Artifact{Name: ref.Name, Digest: ref.Digest}
	}
	if hyper != "" {
		b, err := readFileFlag("hyperparams", hyper)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &spec.Hyperparameters); err != nil {
			return fmt.Errorf("--hyperparams must be a JSON object: %w", err)
		}
	}
	if spec.StartedOn, err = parseTime("started", started); err != nil {
		return err
	}
	if spec.FinishedOn, err = parseTime("finished", finished); err != nil {
		return err
	}
	v, err := r.a.Models.RegisterVersion(ctx, r.tenant, r.actor, model, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, v, func() {
		fmt.Fprintf(stdout, "registered %s, digest %s; ledger index %d\n", v.ID(), v.Digest, v.Index)
		if v.Signature != nil {
			fmt.Fprintf(stdout, "signature accepted: signed by %s, recorded at ledger index %d\n", v.Signature.Signer, v.Signature.Index)
		}
		if v.ProvenanceSHA256 != "" {
			fmt.Fprintf(stdout, "SLSA provenance signed; see 'attest model provenance %s'\n", v.ID())
		}
	})
}

func modelAttach(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var sigPath string
	r, err := openReg(ctx, "model attach", 1, "NAME@VERSION --sig model.sig", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&sigPath, "sig", signing.DefaultSignatureFile, "OMS signature file")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	b, err := readFileFlag("sig", sigPath)
	if err != nil {
		return err
	}
	v, err := r.a.Models.AttachSignature(ctx, r.tenant, r.actor, r.args[0], b)
	if err != nil {
		return err
	}
	return r.print(stdout, v, func() {
		fmt.Fprintf(stdout, "signature of %s accepted (root digest %s, signer %s); ledger index %d\n", v.ID(), v.Signature.RootDigest, v.Signature.Signer, v.Signature.Index)
	})
}

// modelVerifyRecord verifies files like 'attest model verify' and records
// the outcome, success or failure, as the deployment's verification at
// load: on the server given by --server, or in the local data directory.
func modelVerifyRecord(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return usagef("usage: attest model verify PATH --key PUB.pem --record NAME@VERSION [--server URL --api-key KEY]")
	}
	var sigPath, keyPath, record, server, apiKey, tenant, actor string
	var ignore bool
	c, _, err := loadConfig("model verify", args[1:], stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&sigPath, "sig", signing.DefaultSignatureFile, "signature to verify")
		fs.StringVar(&keyPath, "key", "", "signer's public key, PEM")
		fs.BoolVar(&ignore, "ignore-unsigned-files", false, "accept files the signature does not list")
		fs.StringVar(&record, "record", "", "NAME@VERSION to record the outcome for")
		fs.StringVar(&server, "server", os.Getenv("ATTEST_URL"), "attest server URL (env ATTEST_URL); without it the local data directory records it")
		fs.StringVar(&apiKey, "api-key", os.Getenv("ATTEST_API_KEY"), "API key with models.write, for --server (env ATTEST_API_KEY)")
		fs.StringVar(&tenant, "tenant", "", "tenant, when recording locally")
		fs.StringVar(&actor, "actor", "deploy", "who verified, when recording locally")
	})
	if err != nil {
		return err
	}
	model, ver, err := registry.ParseRef(record)
	if err != nil {
		return err
	}
	if keyPath == "" || (server != "" && apiKey == "") {
		return usagef("--record needs --key, and --api-key (or ATTEST_API_KEY) with --server")
	}
	pemData, err := readFileFlag("key", keyPath)
	if err != nil {
		return err
	}
	pub, err := signing.ParsePublicKey(pemData)
	if err != nil {
		return err
	}
	bundle, err := readFileFlag("sig", sigPath)
	if err != nil {
		return err
	}
	opt := signing.VerifyOptions{PublicKey: pub, IgnoreUnsignedFiles: ignore, SignaturePath: sigPath}
	if bar := progressBar(stderr, "verifying"); bar != nil {
		opt.Progress = func(done, total int64) { bar(uint64(done), uint64(total)) }
	}
	res, verr := signing.Verify(ctx, args[0], bundle, opt)
	e, err := signing.VerifiedEvent("-", ledger.Actor{Kind: ledger.ActorService, ID: "-"}, bundle, res, verr)
	if err != nil {
		return err
	}
	if server != "" {
		err = postVerification(ctx, server, apiKey, model, ver, e.Body)
	} else {
		err = recordVerificationLocally(ctx, c, tenant, actor, record, e.Body)
	}
	if err != nil {
		return err
	}
	if verr != nil {
		fmt.Fprintf(stdout, "recorded the failed verification of %s\n", record)
		return verr
	}
	fmt.Fprintf(stdout, "verified %s: root digest sha256:%s; recorded for %s\n", args[0], res.RootDigest, record)
	return nil
}

func postVerification(ctx context.Context, server, apiKey, model, ver string, body []byte) error {
	url := strings.TrimRight(server, "/") + "/api/v1/models/" + model + "/versions/" + ver + "/verifications"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("record the verification: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var p struct{ Detail string }
		json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&p)
		return fmt.Errorf("the server refused the verification record (%d): %s", resp.StatusCode, p.Detail)
	}
	return nil
}

func recordVerificationLocally(ctx context.Context, c config.Config, tenant, actor, id string, body []byte) error {
	var report signing.VerifiedBody
	if err := json.Unmarshal(body, &report); err != nil {
		return err
	}
	if tenant == "" {
		tenant = c.Tenant
	}
	a, err := openApp(ctx, c, app.NewLogger(c, io.Discard))
	if err != nil {
		return err
	}
	defer a.Close()
	_, err = a.Models.RecordVerification(ctx, tenant, ledger.Actor{Kind: ledger.ActorService, ID: "cli:" + actor}, id, report)
	return err
}

func modelTrustKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var name string
	r, err := openReg(ctx, "model trust-key", 1, "PUB.pem --name NAME", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "a name for the key, such as release-2025")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	b, err := readFileFlag("key", r.args[0])
	if err != nil {
		return err
	}
	k, err := r.a.Models.TrustKey(ctx, r.tenant, r.actor, name, b)
	if err != nil {
		return err
	}
	return r.print(stdout, k, func() { fmt.Fprintf(stdout, "trusted key %s (%s); ledger index %d\n", k.Hint, k.Name, k.Index) })
}

func modelKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model keys", 0, "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	ks, err := r.a.Models.TrustedKeys(ctx, r.tenant)
	if err != nil {
		return err
	}
	return r.table(stdout, ks, func(tw io.Writer) {
		fmt.Fprintln(tw, "HINT\tNAME\tADDED\tSTATUS")
		for _, k := range ks {
			status := "trusted"
			if !k.Revoked.IsZero() {
				status = "revoked " + k.Revoked.Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.Hint, k.Name, k.Added.Format(time.DateOnly), status)
		}
	})
}

func modelRevokeKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model revoke-key", 1, "HINT", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	k, err := r.a.Models.RevokeKey(ctx, r.tenant, r.actor, r.args[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "revoked key %s (%s): versions it signed can no longer be served\n", k.Hint, k.Name)
	return nil
}

// summaryKeys are the body fields a history line shows, in order.
var summaryKeys = []string{"name", "snapshot", "version", "digest", "root_digest", "signer", "suite", "passed", "metrics",
	"change_id", "decision", "outcome", "alias", "from", "to", "rollback", "verified", "reason", "run_id", "event_type"}

func summarize(body json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	var parts []string
	for _, k := range summaryKeys {
		v, ok := m[k]
		if !ok || string(v) == `""` || string(v) == "null" || string(v) == "false" && k == "rollback" {
			continue
		}
		parts = append(parts, k+"="+strings.Trim(string(v), `"`))
	}
	return strings.Join(parts, " ")
}

func modelHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model history", 1, "NAME@VERSION", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	h, err := r.a.Models.History(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	if r.json {
		return printJSON(stdout, h)
	}
	v := h.Version
	fmt.Fprintf(stdout, "%s  digest %s  model %s (risk %s)\n", v.ID(), v.Digest, h.Model.Name, h.Model.Risk)
	fmt.Fprintf(stdout, "%s, each proven in the ledger of %s under a checkpoint signed by %s\n\n", cmdline.Count(len(h.Entries), "entry"), cmdline.Count(h.Size, "entry"), r.a.VKey)
	stage := ""
	bad := 0
	for _, e := range h.Entries {
		if e.Stage != stage {
			stage = e.Stage
			fmt.Fprintf(stdout, "%s\n", strings.ToUpper(stage))
		}
		mark := "proof ok"
		if err := e.Proof.Verify(r.a.VKey, e.Event); err != nil {
			mark, bad = "PROOF FAILS: "+err.Error(), bad+1
		}
		var ev ledger.Event
		json.Unmarshal(e.Event, &ev)
		fmt.Fprintf(stdout, "  #%-9d %s  %-24s %s:%s  %s  [%s, %s]\n", e.Index, e.Time.Format(time.RFC3339), e.Type,
			e.Actor.Kind, e.Actor.ID, summarize(ev.Body), mark, cmdline.Count(len(e.Proof.Hashes), "hash"))
	}
	if bad > 0 {
		return fmt.Errorf("%s failed their inclusion proof: run 'attest ledger verify'", cmdline.Count(bad, "entry"))
	}
	return nil
}

func modelProvenance(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model provenance", 1, "NAME@VERSION", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	env, err := r.a.Models.Provenance(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	return printJSON(stdout, env)
}

// changeFlags are the flags of a change request.
func changeFlags(spec *registry.ChangeSpec, ticket *registry.Ticket) func(*flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Target.Alias, "alias", registry.AliasProduction, "alias to move: production, staging, canary or another name")
		fs.IntVar(&spec.Target.Percent, "percent", 0, "traffic share of a canary, 1-100")
		fs.StringVar(&spec.Description, "description", "", "what changes and why")
		fs.StringVar(&spec.RollbackPlan, "rollback-plan", "", "how to undo it")
		fs.StringVar(&ticket.Key, "ticket", "", "external ticket key, such as OPS-123")
		fs.StringVar(&ticket.URL, "ticket-url", "", "external ticket URL")
	}
}

func promoteCmd(kind string) Func {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		var spec registry.ChangeSpec
		var ticket registry.Ticket
		r, err := openReg(ctx, kind+" promote", 1, "NAME@VERSION --alias ALIAS --description TEXT --rollback-plan TEXT", args, stderr, changeFlags(&spec, &ticket))
		if err != nil {
			return err
		}
		defer r.a.Close()
		if spec.Target.Name, spec.Target.Version, err = registry.ParseRef(r.args[0]); err != nil {
			return err
		}
		spec.Target.Kind = kind
		if ticket.Key != "" {
			spec.Ticket = &ticket
		}
		c, err := r.a.Models.RequestChange(ctx, r.tenant, r.actor, spec)
		if err != nil {
			return err
		}
		return r.print(stdout, c, func() { printChange(stdout, c) })
	}
}

func printChange(w io.Writer, c registry.Change) {
	t := c.Target
	fmt.Fprintf(w, "change %s: %s %s@%s to %s", c.ID, t.Kind, t.Name, t.Version, t.Alias)
	if t.Percent > 0 {
		fmt.Fprintf(w, " (%d%%)", t.Percent)
	}
	fmt.Fprintf(w, " is %s; %d of %d approvals", c.Status, len(c.Approvals), c.Required)
	if c.Emergency {
		fmt.Fprintf(w, "; emergency, review due %s", c.ReviewDue.Format(time.RFC3339))
		if c.Review != nil {
			fmt.Fprintf(w, " (reviewed: %s by %s)", c.Review.Decision, c.Review.Actor.ID)
		}
	}
	fmt.Fprintln(w)
	if c.Status == registry.StatusPending {
		fmt.Fprintf(w, "another human approves it with 'attest change approve %s --actor NAME'\n", c.ID)
	}
}

func modelEmergency(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.ChangeSpec
	var ticket registry.Ticket
	r, err := openReg(ctx, "model emergency", 1, "NAME@VERSION --alias ALIAS --reason TEXT --description TEXT --rollback-plan TEXT", args, stderr, func(fs *flag.FlagSet) {
		changeFlags(&spec, &ticket)(fs)
		fs.StringVar(&spec.Reason, "reason", "", "why this cannot wait for approval")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	if spec.Target.Name, spec.Target.Version, err = registry.ParseRef(r.args[0]); err != nil {
		return err
	}
	if ticket.Key != "" {
		spec.Ticket = &ticket
	}
	c, err := r.a.Models.Emergency(ctx, r.tenant, r.actor, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, c, func() { printChange(stdout, c) })
}

func modelRollback(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var alias, kind string
	r, err := openReg(ctx, "model rollback", 1, "NAME --alias ALIAS", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&alias, "alias", registry.AliasProduction, "alias to roll back")
		fs.StringVar(&kind, "kind", registry.KindModel, "model or prompt")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	a, err := r.a.Models.Rollback(ctx, r.tenant, r.actor, kind, r.args[0], alias)
	if err != nil {
		return err
	}
	m := a.History[len(a.History)-1]
	return r.print(stdout, a, func() {
		fmt.Fprintf(stdout, "rolled %s back from %s to %s; ledger index %d\n", alias, m.From, m.To, m.Index)
	})
}

func modelAliases(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "model aliases", 1, "NAME", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	as, err := r.a.Models.Aliases(ctx, r.tenant, registry.KindModel, r.args[0])
	if err != nil {
		return err
	}
	return r.table(stdout, as, func(tw io.Writer) {
		fmt.Fprintln(tw, "ALIAS\tVERSION\tTRAFFIC\tMOVED\tBY\tCHANGE")
		for _, a := range as {
			pct := "100%"
			if a.Percent > 0 {
				pct = strconv.Itoa(a.Percent) + "%"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Alias, a.Version, pct, a.Moved.Format(time.RFC3339), a.MovedBy.ID, a.ChangeID)
		}
	})
}

func modelServeCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var alias string
	r, err := openReg(ctx, "model serve-check", 1, "NAME --alias ALIAS", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&alias, "alias", registry.AliasProduction, "alias the gateway would serve")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	v, err := r.a.Models.CanServe(ctx, r.tenant, r.args[0], alias)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s at %s may be served: signed, verified at load and approved by %s\n", v.ID(), alias, v.Approval.ChangeID)
	return nil
}

func readWindow(path string) (*monitor.Window, error) {
	b, err := readFileFlag("window", path)
	if err != nil {
		return nil, err
	}
	var w monitor.Window
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("--window must be a JSON histogram window: %w", err)
	}
	return &w, nil
}

func modelDriftReference(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var path string
	r, err := openReg(ctx, "model drift-reference", 1, "NAME --window FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&path, "window", "", "JSON window of descriptor histograms judged normal")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	w, err := readWindow(path)
	if err != nil {
		return err
	}
	ref, err := r.a.Models.SetDriftReference(ctx, r.tenant, r.actor, r.args[0], w)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "reference window of %s set: %s; ledger index %d\n", r.args[0], cmdline.Count(w.Samples, "sample"), ref.Index)
	return nil
}

func modelDrift(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var path, alias string
	r, err := openReg(ctx, "model drift", 1, "NAME --window FILE [--alias production]", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&path, "window", "", "JSON window of descriptor histograms to compare")
		fs.StringVar(&alias, "alias", registry.AliasProduction, "alias that served the traffic")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	w, err := readWindow(path)
	if err != nil {
		return err
	}
	out, err := r.a.Models.ObserveWindow(ctx, r.tenant, r.actor, r.args[0], alias, w)
	if err != nil {
		return err
	}
	return r.print(stdout, out, func() {
		for _, d := range out.Report.Drift {
			fmt.Fprintf(stdout, "%-16s psi %.3f  js %.3f", d.Descriptor, d.PSI, d.JensenShannon)
			if d.KS != nil {
				fmt.Fprintf(stdout, "  ks p %.3g", d.KS.P)
			}
			fmt.Fprintln(stdout)
		}
		for _, a := range out.Alerts {
			fmt.Fprintf(stdout, "ALERT %s: %s %s %.3f past %.3f, due %s\n", a.ID, a.Descriptor, a.Statistic, a.Value, a.Threshold, a.Due.Format(time.RFC3339))
		}
	})
}

func modelAlerts(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var overdue bool
	r, err := openReg(ctx, "model alerts", 0, "", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&overdue, "overdue", false, "only alerts open past their deadline")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	as, err := r.a.Models.DriftAlerts(ctx, r.tenant)
	if overdue {
		as, err = r.a.Models.OverdueAlerts(ctx, r.tenant, time.Now())
	}
	if err != nil {
		return err
	}
	return r.table(stdout, as, func(tw io.Writer) {
		fmt.Fprintln(tw, "ID\tKIND\tVERSION\tSIGNAL\tVALUE\tDUE\tSTATUS")
		for _, a := range as {
			status := "open"
			if !a.Closed.IsZero() {
				status = "closed"
			} else if a.Overdue(time.Now()) {
				status = "OVERDUE"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s %s\t%.3f\t%s\t%s\n", a.ID, a.Kind, a.ModelVersion, a.Descriptor, a.Statistic, a.Value, a.Due.Format(time.RFC3339), status)
		}
	})
}

func modelCloseAlert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var resolution string
	r, err := openReg(ctx, "model close-alert", 1, "ID --resolution TEXT", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&resolution, "resolution", "", "how the alert was resolved")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	a, err := r.a.Models.CloseAlert(ctx, r.tenant, r.actor, r.args[0], resolution)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "closed alert %s; ledger index %d\n", a.ID, a.ClosedIndex)
	return nil
}

func changeList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var overdue bool
	r, err := openReg(ctx, "change list", 0, "", args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&overdue, "overdue", false, "only emergency changes whose review is overdue")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	cs, err := r.a.Models.Changes(ctx, r.tenant)
	if overdue {
		cs, err = r.a.Models.OverdueReviews(ctx, r.tenant, time.Now())
	}
	if err != nil {
		return err
	}
	return r.print(stdout, cs, func() {
		for _, c := range cs {
			printChange(stdout, c)
		}
	})
}

func changeShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "change show", 1, "ID", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	c, err := r.a.Models.Change(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	return printJSON(stdout, c)
}

func changeDecide(verb string) Func {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		var comment string
		r, err := openReg(ctx, "change "+verb, 1, "ID --actor NAME [--comment TEXT]", args, stderr, func(fs *flag.FlagSet) {
			fs.StringVar(&comment, "comment", "", "the reason for the decision")
		})
		if err != nil {
			return err
		}
		defer r.a.Close()
		decide := r.a.Models.Approve
		if verb == "reject" {
			decide = r.a.Models.Reject
		}
		c, err := decide(ctx, r.tenant, r.actor, r.args[0], comment)
		if err != nil {
			return err
		}
		return r.print(stdout, c, func() { printChange(stdout, c) })
	}
}

func changeReview(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var outcome, comment string
	r, err := openReg(ctx, "change review", 1, "ID --outcome accepted|rejected --actor NAME", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&outcome, "outcome", "", "accepted or rejected")
		fs.StringVar(&comment, "comment", "", "the review's findings")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	if outcome != "accepted" && outcome != "rejected" {
		return usagef("--outcome must be accepted or rejected")
	}
	c, err := r.a.Models.Review(ctx, r.tenant, r.actor, r.args[0], outcome == "accepted", comment)
	if err != nil {
		return err
	}
	return r.print(stdout, c, func() { printChange(stdout, c) })
}

func datasetRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.DatasetSpec
	r, err := openReg(ctx, "dataset register", 1, "NAME --owner TEAM --classification CLASS", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Owner, "owner", "", "who answers for it")
		fs.StringVar(&spec.Classification, "classification", "", "public, internal, confidential or restricted")
		fs.IntVar(&spec.RetentionDays, "retention-days", 0, "how long snapshots may be kept (0: not set)")
		fs.StringVar(&spec.Description, "description", "", "what it holds")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	spec.Name = r.args[0]
	d, err := r.a.Models.RegisterDataset(ctx, r.tenant, r.actor, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, d, func() {
		fmt.Fprintf(stdout, "registered dataset %s (%s); ledger index %d\n", d.Name, d.Classification, d.Index)
	})
}

// fileDigest is the SHA-256 of a file, streamed.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// readLines reads one non-empty value per line.
func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if s := strings.TrimSpace(sc.Text()); s != "" {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

func datasetSnapshot(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.SnapshotSpec
	var file, subjects string
	r, err := openReg(ctx, "dataset snapshot", 1, "NAME (--digest sha256:HEX | --file PATH) [--subjects FILE]", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Digest, "digest", "", "the snapshot's SHA-256 digest")
		fs.StringVar(&file, "file", "", "compute the digest of this file")
		fs.StringVar(&spec.URI, "uri", "", "where the snapshot is stored")
		fs.StringVar(&subjects, "subjects", "", "file of the data subjects' ids it holds, one per line; only pseudonyms are kept")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	if file != "" {
		if spec.Digest, err = fileDigest(file); err != nil {
			return fmt.Errorf("--file: %w", err)
		}
	}
	if subjects != "" {
		if spec.Subjects, err = readLines(subjects); err != nil {
			return fmt.Errorf("--subjects: %w", err)
		}
	}
	s, err := r.a.Models.AddSnapshot(ctx, r.tenant, r.actor, r.args[0], spec)
	if err != nil {
		return err
	}
	return r.print(stdout, s, func() {
		fmt.Fprintf(stdout, "snapshot %s of %s registered with %d data subjects; ledger index %d\n", s.Digest, r.args[0], s.Subjects, s.Index)
	})
}

func datasetList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "dataset list", 0, "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	ds, err := r.a.Models.Datasets(ctx, r.tenant)
	if err != nil {
		return err
	}
	return r.table(stdout, ds, func(tw io.Writer) {
		fmt.Fprintln(tw, "NAME\tCLASSIFICATION\tRETENTION\tSNAPSHOTS\tOWNER")
		for _, d := range ds {
			fmt.Fprintf(tw, "%s\t%s\t%dd\t%d\t%s\n", d.Name, d.Classification, d.RetentionDays, len(d.Snapshots), d.Owner)
		}
	})
}

func datasetShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "dataset show", 1, "NAME", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	d, err := r.a.Models.Dataset(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	flags, err := r.a.Models.WithdrawnConsent(ctx, r.tenant, d.Name)
	if err != nil {
		return err
	}
	if err := printJSON(stdout, map[string]any{"dataset": d, "withdrawn_training_consent": flags}); err != nil {
		return err
	}
	for _, f := range flags {
		fmt.Fprintf(stderr, "warning: snapshot %s holds %s who withdrew consent to training; do not train on it again\n", f.Digest, cmdline.Count(f.Count, "subject"))
	}
	return nil
}

func promptCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.PromptSpec
	var tmpl, risk string
	r, err := openReg(ctx, "prompt create", 1, "NAME --owner TEAM --template FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Owner, "owner", "", "who answers for it")
		fs.StringVar(&spec.Description, "description", "", "what it is for")
		fs.StringVar(&risk, "risk", "limited", "high, limited or minimal: sets how many approvals changes need")
		fs.StringVar(&tmpl, "template", "", "file holding the template, with {{variable}} placeholders")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	b, err := readFileFlag("template", tmpl)
	if err != nil {
		return err
	}
	spec.Name, spec.Template, spec.Risk = r.args[0], string(b), registry.Risk(risk)
	p, err := r.a.Models.CreatePrompt(ctx, r.tenant, r.actor, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, p, func() {
		fmt.Fprintf(stdout, "created prompt %s version 1 (variables %v); promote it with 'attest prompt promote %s@1 --alias production ...'\n", p.Name, p.Versions[0].Variables, p.Name)
	})
}

func promptVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var tmpl string
	r, err := openReg(ctx, "prompt version", 1, "NAME --template FILE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&tmpl, "template", "", "file holding the new template")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	b, err := readFileFlag("template", tmpl)
	if err != nil {
		return err
	}
	pv, err := r.a.Models.AddPromptVersion(ctx, r.tenant, r.actor, r.args[0], string(b), nil)
	if err != nil {
		return err
	}
	return r.print(stdout, pv, func() {
		fmt.Fprintf(stdout, "prompt %s version %s (%s); it goes live through a change request\n", r.args[0], pv.Version, pv.Digest)
	})
}

func promptList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "prompt list", 0, "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	ps, err := r.a.Models.Prompts(ctx, r.tenant)
	if err != nil {
		return err
	}
	return r.table(stdout, ps, func(tw io.Writer) {
		fmt.Fprintln(tw, "NAME\tVERSIONS\tRISK\tOWNER")
		for _, p := range ps {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", p.Name, len(p.Versions), p.Risk, p.Owner)
		}
	})
}

func promptShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "prompt show", 1, "NAME", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	p, err := r.a.Models.Prompt(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	return printJSON(stdout, p)
}

func evalRegister(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var spec registry.SuiteSpec
	var data, gateFile string
	var metrics listFlag
	mins, maxs := numFlag{}, numFlag{}
	var margin, drop float64
	r, err := openReg(ctx, "eval register", 1, "NAME --model MODEL --validation FILE --metrics a,b --min METRIC=VALUE", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&spec.Model, "model", "", "model the suite gates")
		fs.StringVar(&spec.Task, "task", "classification", "classification or generation")
		fs.StringVar(&data, "validation", "", "validation set (JSON Lines of id, input, expected); the suite is locked to its digest")
		fs.Var(&metrics, "metrics", "metrics to compute, such as accuracy,f1_macro or exact_match,token_f1")
		fs.Var(mins, "min", "minimum of a metric, METRIC=VALUE (repeatable)")
		fs.Var(maxs, "max", "maximum of a metric, METRIC=VALUE (repeatable)")
		fs.Float64Var(&margin, "margin", 0.01, "how much worse than production a candidate may be on each gated metric")
		fs.Float64Var(&drop, "replay-drop", -1, "how far a replay may fall before alerting (default: the margin)")
		fs.StringVar(&gateFile, "gate", "", "JSON file of gate rules instead of --min/--max")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	f, err := os.Open(data)
	if err != nil {
		return fmt.Errorf("--validation: %w", err)
	}
	set, err := registry.ReadValidationSet(f)
	f.Close()
	if err != nil {
		return err
	}
	spec.Name, spec.Metrics, spec.ValidationDigest, spec.Examples = r.args[0], metrics, set.Digest, len(set.Examples)
	spec.Margin = &margin
	if drop >= 0 {
		spec.ReplayDrop = &drop
	}
	if gateFile != "" {
		b, err := readFileFlag("gate", gateFile)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &spec.Gate); err != nil {
			return fmt.Errorf("--gate: %w", err)
		}
	}
	for _, m := range metrics {
		rule := monitor.Rule{Metric: m}
		if v, ok := mins[m]; ok {
			rule.Min = &v
		}
		if v, ok := maxs[m]; ok {
			rule.Max = &v
		}
		if rule.Min != nil || rule.Max != nil {
			spec.Gate.Rules = append(spec.Gate.Rules, rule)
		}
	}
	su, err := r.a.Models.RegisterSuite(ctx, r.tenant, r.actor, spec)
	if err != nil {
		return err
	}
	return r.print(stdout, su, func() {
		fmt.Fprintf(stdout, "registered suite %s for %s: %s locked by %s; ledger index %d\n", su.Name, su.Model, cmdline.Count(su.Examples, "example"), su.ValidationDigest, su.Index)
	})
}

func evalRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var ref, data, preds, gateway, apiKey, gwModel, keyPath string
	custom := numFlag{}
	r, err := openReg(ctx, "eval run", 1, "SUITE --model NAME@VERSION --validation FILE (--predictions FILE | --gateway URL)", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&ref, "model", "", "version evaluated, NAME@VERSION")
		fs.StringVar(&data, "validation", "", "the suite's validation set")
		fs.StringVar(&preds, "predictions", "", "predictions file (JSON Lines of id, expected, predicted)")
		fs.StringVar(&gateway, "gateway", "", "call the model through this OpenAI-compatible gateway instead")
		fs.StringVar(&apiKey, "api-key", os.Getenv("ATTEST_API_KEY"), "gateway API key (env ATTEST_API_KEY)")
		fs.StringVar(&gwModel, "gateway-model", "", "model or alias to call (default: the model's name)")
		fs.Var(custom, "metric", "value of a custom metric computed elsewhere, NAME=VALUE (repeatable)")
		fs.StringVar(&keyPath, "key", "", "sign the result with this ECDSA P-256 key, one the tenant trusts")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	su, err := r.a.Models.Suite(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	v, err := r.a.Models.Version(ctx, r.tenant, ref)
	if err != nil {
		return err
	}
	f, err := os.Open(data)
	if err != nil {
		return fmt.Errorf("--validation: %w", err)
	}
	set, err := registry.ReadValidationSet(f)
	f.Close()
	if err != nil {
		return err
	}
	if set.Digest != su.ValidationDigest {
		return fmt.Errorf("--validation has digest %s, but suite %s is locked to %s: use the suite's validation set", set.Digest, su.Name, su.ValidationDigest)
	}
	var examples []monitor.Example
	var predsSHA string
	switch {
	case preds != "" && gateway == "":
		pf, err := os.Open(preds)
		if err != nil {
			return fmt.Errorf("--predictions: %w", err)
		}
		p, err := monitor.ReadPredictions(pf)
		pf.Close()
		if err != nil {
			return err
		}
		if examples, err = set.MatchPredictions(p); err != nil {
			return err
		}
		predsSHA = p.SHA256
	case gateway != "" && preds == "":
		if apiKey == "" {
			return usagef("--gateway needs --api-key or ATTEST_API_KEY")
		}
		if gwModel == "" {
			gwModel = v.Model
		}
		p := &registry.GatewayPredictor{BaseURL: gateway, APIKey: apiKey, Model: gwModel}
		var progress func(done, total int)
		if bar := progressBar(stderr, "predicting"); bar != nil {
			progress = func(done, total int) { bar(uint64(done), uint64(total)) }
		}
		if examples, err = registry.Predict(ctx, p, set, 4, progress); err != nil {
			return err
		}
		predsSHA = registry.PredictionsDigest(examples)
	default:
		return usagef("give either --predictions or --gateway")
	}
	metrics, err := r.a.Models.Score(su, examples, custom)
	if err != nil {
		return err
	}
	spec := registry.ResultSpec{ModelVersion: v.ID(), Metrics: metrics, Examples: len(examples), PredictionsSHA256: predsSHA, ValidationDigest: set.Digest}
	if keyPath != "" {
		b, err := readFileFlag("key", keyPath)
		if err != nil {
			return err
		}
		key, err := signing.ParsePrivateKey(b)
		if err != nil {
			return err
		}
		payload, err := registry.EvalStatement(su.Name, v.Digest, spec)
		if err != nil {
			return err
		}
		env, err := signing.SignEnvelope(key, payload)
		if err != nil {
			return err
		}
		if spec.Envelope, err = json.Marshal(env); err != nil {
			return err
		}
	}
	res, err := r.a.Models.RecordEval(ctx, r.tenant, r.actor, su.Name, spec)
	if err != nil {
		return err
	}
	if err := r.print(stdout, res, func() {
		for _, name := range slices.Sorted(maps.Keys(res.Metrics)) {
			fmt.Fprintf(stdout, "%-24s %.4f\n", name, res.Metrics[name])
		}
		verdict := "PASSED"
		if !res.Passed {
			verdict = "FAILED: " + strings.Join(res.Gate.Reasons(), "; ")
		}
		fmt.Fprintf(stdout, "gate %s\nresult %s recorded at ledger index %d", verdict, res.ID, res.Index)
		if res.Signer != "" {
			fmt.Fprintf(stdout, ", signed by %s", res.Signer)
		}
		fmt.Fprintln(stdout)
	}); err != nil {
		return err
	}
	if !res.Passed {
		return errors.New("the evaluation gate failed; the result is recorded as failed")
	}
	return nil
}

func evalReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var alias, data, gateway, apiKey, gwModel string
	var every time.Duration
	r, err := openReg(ctx, "eval replay", 1, "SUITE --validation FILE --gateway URL [--every 24h]", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&alias, "alias", registry.AliasProduction, "alias whose version is replayed")
		fs.StringVar(&data, "validation", "", "the suite's validation set")
		fs.StringVar(&gateway, "gateway", "", "OpenAI-compatible gateway URL")
		fs.StringVar(&apiKey, "api-key", os.Getenv("ATTEST_API_KEY"), "gateway API key (env ATTEST_API_KEY)")
		fs.StringVar(&gwModel, "gateway-model", "", "model or alias to call (default: the model's name)")
		fs.DurationVar(&every, "every", 0, "replay on this schedule until stopped (0: once)")
	})
	if err != nil {
		return err
	}
	defer r.a.Close()
	if gateway == "" || apiKey == "" {
		return usagef("--gateway and --api-key (or ATTEST_API_KEY) are required")
	}
	su, err := r.a.Models.Suite(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	if gwModel == "" {
		gwModel = su.Model
	}
	p := &registry.GatewayPredictor{BaseURL: gateway, APIKey: apiKey, Model: gwModel}
	for {
		f, err := os.Open(data)
		if err != nil {
			return fmt.Errorf("--validation: %w", err)
		}
		set, err := registry.ReadValidationSet(f)
		f.Close()
		if err != nil {
			return err
		}
		out, err := r.a.Models.Replay(ctx, r.tenant, r.actor, su.Name, alias, set, p)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s replay of %s: %s; drops %v; ledger index %d\n", time.Now().UTC().Format(time.RFC3339), su.Name, cmdline.Count(len(out.Alerts), "alert"), out.Drops, out.ReportIndex)
		if every <= 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func evalList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "eval list", 0, "", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	ss, err := r.a.Models.Suites(ctx, r.tenant)
	if err != nil {
		return err
	}
	return r.table(stdout, ss, func(tw io.Writer) {
		fmt.Fprintln(tw, "SUITE\tMODEL\tEXAMPLES\tMETRICS\tMARGIN")
		for _, s := range ss {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%g\n", s.Name, s.Model, s.Examples, strings.Join(s.Metrics, ","), s.Margin)
		}
	})
}

func evalShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	r, err := openReg(ctx, "eval show", 1, "SUITE", args, stderr, nil)
	if err != nil {
		return err
	}
	defer r.a.Close()
	su, err := r.a.Models.Suite(ctx, r.tenant, r.args[0])
	if err != nil {
		return err
	}
	rs, err := r.a.Models.EvalResults(ctx, r.tenant, su.Name)
	if err != nil {
		return err
	}
	return printJSON(stdout, map[string]any{"suite": su, "results": rs})
}
