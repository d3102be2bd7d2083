package gateway

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
)

// fill sets every field of v, recursively, to a non-zero value, so that
// every omitempty member appears in the encoding.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	case reflect.Uint64:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for _, k := range []string{"EMAIL", "PERSON", "CREDIT_CARD"} {
			m.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(1))
		}
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	}
}

// TestAuditEntriesAreCanonical checks that the audit bodies encode with
// their members already in RFC 8785 order, so the ledger never has to sort
// them on the request path. A field added out of order fails here.
func TestAuditEntriesAreCanonical(t *testing.T) {
	for name, body := range map[string]any{"request": &requestEntry{}, "response": &responseEntry{}} {
		t.Run(name, func(t *testing.T) {
			fill(reflect.ValueOf(body).Elem())
			e, err := ledger.NewEvent("inference."+name, "t", ledger.Actor{Kind: ledger.ActorService, ID: "k"}, body)
			if err != nil {
				t.Fatal(err)
			}
			encoded := bytes.Clone(e.Body)
			if _, err := e.Canonical(time.Now()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encoded, e.Body) {
				t.Errorf("the %s entry is not in canonical member order:\n got  %s\n want %s", name, encoded, e.Body)
			}
		})
	}
}
