package guardbridge

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/attest-ai/attest/internal/guard"
	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/records"
)

// recordKind and recordID name the policy record of a tenant.
const (
	recordKind = "guard.policy"
	recordID   = "policy"
)

// cacheTTL bounds how long a change made on another replica takes to
// apply here.
const cacheTTL = time.Second

// Policies keeps tenants' guard policies and the engines built from them.
// Reads are cached briefly because the gateway asks on every request.
type Policies struct {
	table   records.Table[Doc]
	log     ledger.Appender
	hashKey []byte
	now     func() time.Time

	mu    sync.Mutex
	cache map[string]*tenantGuard
}

// tenantGuard is a tenant's policy with its engine, or the reason the
// engine could not be built.
type tenantGuard struct {
	doc    Doc
	engine *guard.Engine
	err    error
	exp    time.Time
}

// NewPolicies returns the policy store. hashKey (at least 16 bytes) keys
// the PII hash action, separately for each tenant.
func NewPolicies(rs records.Store, log ledger.Appender, hashKey []byte) (*Policies, error) {
	if rs == nil || log == nil {
		return nil, errors.New("guard policies need a record store and a ledger appender")
	}
	if len(hashKey) < 16 {
		return nil, errors.New("guard policies need a hash key of at least 16 bytes")
	}
	return &Policies{table: records.NewTable[Doc](rs, recordKind), log: log, hashKey: hashKey, now: time.Now, cache: map[string]*tenantGuard{}}, nil
}

// tenantKey derives the tenant's key for the PII hash action, so equal
// values of two tenants hash differently.
func (p *Policies) tenantKey(tenant string) []byte {
	m := hmac.New(sha256.New, p.hashKey)
	m.Write([]byte("attest guard pii hash key\x00"))
	m.Write([]byte(tenant))
	return m.Sum(nil)
}

// Get returns a tenant's policy: the stored one or, for a tenant that set
// none, the default.
func (p *Policies) Get(ctx context.Context, tenant string) (Doc, error) {
	d, err := p.table.Get(ctx, tenant, recordID)
	if errors.Is(err, records.ErrNotFound) {
		return DefaultDoc(tenant), nil
	}
	if err != nil {
		return Doc{}, fmt.Errorf("read the guard policy of tenant %s: %w", tenant, err)
	}
	return d, nil
}

// Set validates a tenant's new policy, records it in the ledger and only
// then stores it, so no policy is ever in effect without its evidence.
func (p *Policies) Set(ctx context.Context, actor ledger.Actor, d Doc) (Doc, error) {
	if err := records.ValidID("tenant", d.Tenant); err != nil {
		return Doc{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	key := p.tenantKey(d.Tenant)
	if err := d.Validate(key); err != nil {
		return Doc{}, err
	}
	pol := d.Policy(key)
	// Building the engine checks the embedded models too; a policy that
	// cannot run must not be accepted.
	if _, err := guard.New(pol); err != nil {
		return Doc{}, fmt.Errorf("the guard engine cannot run this policy: %w", err)
	}
	idx, err := guard.RecordPolicy(ctx, p.log, d.Tenant, actor, pol)
	if err != nil {
		return Doc{}, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	d.Default = false
	d.PolicySHA256 = pol.Summary().PolicySHA256
	d.LedgerIndex, d.UpdatedBy, d.Updated = &idx, actor.ID, p.now().UTC()
	_, err = p.table.Mutate(ctx, d.Tenant, recordID, func(cur *Doc) error { *cur = d; return nil })
	if errors.Is(err, records.ErrNotFound) {
		err = p.table.Create(ctx, d.Tenant, recordID, d)
	}
	if err != nil {
		return Doc{}, fmt.Errorf("the guard policy was recorded in the ledger (entry %d) but could not be stored; send it again: %w", idx, err)
	}
	p.mu.Lock()
	delete(p.cache, d.Tenant)
	p.mu.Unlock()
	return d, nil
}

// guardFor returns the tenant's policy and engine, rebuilding the engine
// only when the policy changed.
func (p *Policies) guardFor(ctx context.Context, tenant string) (*tenantGuard, error) {
	now := p.now()
	p.mu.Lock()
	tg := p.cache[tenant]
	p.mu.Unlock()
	if tg != nil && now.Before(tg.exp) {
		return tg, nil
	}
	d, err := p.Get(ctx, tenant)
	if err != nil {
		return nil, err
	}
	next := &tenantGuard{doc: d, exp: now.Add(cacheTTL)}
	if tg != nil && tg.doc.PolicySHA256 == d.PolicySHA256 && tg.err == nil {
		next.engine = tg.engine
	} else {
		next.engine, next.err = guard.New(d.Policy(p.tenantKey(tenant)))
	}
	p.mu.Lock()
	p.cache[tenant] = next
	p.mu.Unlock()
	return next, nil
}
