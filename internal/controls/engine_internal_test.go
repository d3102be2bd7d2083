package controls

import "testing"

func TestMissingAttestation(t *testing.T) {
	for in, want := range map[string]string{
		"Upload the restore test record.": "no attestation has been uploaded; upload the restore test record.",
		"SOC 2 bridge letter, signed.":    "no attestation has been uploaded; SOC 2 bridge letter, signed.",
		"  ":                              "no attestation has been uploaded",
	} {
		if got := missingAttestation(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
