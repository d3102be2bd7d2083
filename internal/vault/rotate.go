package vault

import (
	"context"
	"errors"
	"fmt"
)

// Rotate re-wraps every data key and the pseudonym secret that is not yet
// under the wrapper's current master key. Payloads are not touched: only the
// small wrapped keys change. It returns how many keys it re-wrapped.
func (v *Vault) Rotate(ctx context.Context, current string) (int, error) {
	n := 0
	names, err := v.st.VaultSecretNames(ctx)
	if err != nil {
		return 0, fmt.Errorf("list named secrets: %w", err)
	}
	for _, name := range names {
		w, mid, err := v.st.VaultSecret(ctx, name)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read %s secret: %w", name, err)
		}
		if mid == current {
			continue
		}
		secret, err := v.wrap.Unwrap(w, mid)
		if err != nil {
			return 0, err
		}
		if w, mid, err = v.wrap.Wrap(secret); err != nil {
			return 0, err
		}
		if err := v.st.PutVaultSecret(ctx, name, w, mid); err != nil {
			return 0, err
		}
	}
	after := ""
	for {
		ks, err := v.st.SubjectKeys(ctx, after, 500)
		if err != nil {
			return n, fmt.Errorf("list data keys: %w", err)
		}
		if len(ks) == 0 {
			return n, nil
		}
		for _, k := range ks {
			after = k.Tenant + "\x01" + k.Subject
			if k.MasterID == current {
				continue
			}
			dek, err := v.wrap.Unwrap(k.Wrapped, k.MasterID)
			if err != nil {
				return n, err
			}
			if k.Wrapped, k.MasterID, err = v.wrap.Wrap(dek); err != nil {
				return n, err
			}
			if err := v.st.RewrapSubjectKey(ctx, k); err != nil {
				return n, fmt.Errorf("re-wrap data key: %w", err)
			}
			n++
		}
	}
}
