package registry

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/attest-ai/attest/internal/ledger"
	"github.com/attest-ai/attest/internal/privacy"
	"github.com/attest-ai/attest/internal/records"
)

// EventDatasetRegistered records a dataset and, with a snapshot field,
// each of its snapshots.
const EventDatasetRegistered = "dataset.registered"

// MaxSnapshotSubjects bounds the data subjects one snapshot lists.
const MaxSnapshotSubjects = 50000

// Dataset is a registered dataset and its immutable snapshots.
type Dataset struct {
	Name           string        `json:"name"`
	Description    string        `json:"description,omitempty"`
	Owner          string        `json:"owner"`
	Classification privacy.Class `json:"classification"`
	// RetentionDays is how long snapshots may be kept; 0 means no limit
	// was set.
	RetentionDays int        `json:"retention_days"`
	Snapshots     []Snapshot `json:"snapshots"`
	Created       time.Time  `json:"created"`
	CreatedBy     string     `json:"created_by"`
	Index         uint64     `json:"index"`
}

// Snapshot is one immutable state of a dataset, identified by its digest.
type Snapshot struct {
	Digest string `json:"digest"`
	URI    string `json:"uri,omitempty"`
	// Subjects counts the data subjects (pseudonyms) it holds;
	// SubjectsSHA256 commits to their sorted list.
	Subjects       int       `json:"subjects"`
	SubjectsSHA256 string    `json:"subjects_sha256,omitempty"`
	Registered     time.Time `json:"registered"`
	RegisteredBy   string    `json:"registered_by"`
	Index          uint64    `json:"index"`
}

func (d *Dataset) snapshot(digest string) *Snapshot {
	for i := range d.Snapshots {
		if d.Snapshots[i].Digest == digest {
			return &d.Snapshots[i]
		}
	}
	return nil
}

// DatasetSpec describes a dataset to register.
type DatasetSpec struct {
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	Owner          string `json:"owner"`
	Classification string `json:"classification"`
	RetentionDays  int    `json:"retention_days,omitempty"`
}

// snapshotSubjects lists the pseudonyms of one snapshot or evaluation set.
type snapshotSubjects struct {
	Subjects []string `json:"subjects"`
}

// subjectRefs is the reverse index: what holds a subject's data.
type subjectRefs struct {
	Refs []privacy.Reference `json:"refs"`
}

// RegisterDataset registers a dataset.
func (s *Service) RegisterDataset(ctx context.Context, tenant string, actor ledger.Actor, spec DatasetSpec) (Dataset, error) {
	if err := checkName("dataset name", spec.Name); err != nil {
		return Dataset{}, err
	}
	class, err := privacy.ParseClass(spec.Classification)
	if err != nil {
		return Dataset{}, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if spec.Owner == "" || spec.RetentionDays < 0 {
		return Dataset{}, fmt.Errorf("%w: a dataset needs an owner and a retention of zero or more days", ErrInvalid)
	}
	if err := limitText("description", spec.Description, 2000); err != nil {
		return Dataset{}, err
	}
	if _, err := s.datasets.Get(ctx, tenant, spec.Name); err == nil {
		return Dataset{}, fmt.Errorf("%w: dataset %s is already registered; add snapshots to it", ErrConflict, spec.Name)
	}
	idx, err := s.record(ctx, EventDatasetRegistered, tenant, actor, map[string]any{
		"name": spec.Name, "owner": spec.Owner, "classification": class, "retention_days": spec.RetentionDays,
	}, datasetRef(spec.Name))
	if err != nil {
		return Dataset{}, err
	}
	d := Dataset{Name: spec.Name, Description: spec.Description, Owner: spec.Owner, Classification: class,
		RetentionDays: spec.RetentionDays, Snapshots: []Snapshot{}, Created: s.now(), CreatedBy: actor.ID, Index: idx}
	if err := s.datasets.Create(ctx, tenant, d.Name, d); err != nil {
		return Dataset{}, conflict(err, "dataset %s is already registered", d.Name)
	}
	return d, nil
}

// SnapshotSpec describes a snapshot. Subjects are raw end-user ids, turned
// into pseudonyms at once and never stored; Pseudonyms are ids already
// pseudonymized by attest ("sub_...").
type SnapshotSpec struct {
	Digest     string   `json:"digest"`
	URI        string   `json:"uri,omitempty"`
	Subjects   []string `json:"subjects,omitempty"`
	Pseudonyms []string `json:"subject_pseudonyms,omitempty"`
}

var pseudonymPattern = regexp.MustCompile(`^sub_[a-z2-7]{26}$`)

// pseudonyms returns the sorted, unique pseudonyms of raw and pseudonymized
// subject lists.
func (s *Service) pseudonyms(tenant string, raw, pseud []string) ([]string, error) {
	if len(raw)+len(pseud) > MaxSnapshotSubjects {
		return nil, fmt.Errorf("%w: at most %d data subjects per snapshot", ErrInvalid, MaxSnapshotSubjects)
	}
	if len(raw) > 0 && s.d.Privacy == nil {
		return nil, fmt.Errorf("%w: raw subject ids need the privacy service to pseudonymize them; send subject_pseudonyms", ErrInvalid)
	}
	out := make([]string, 0, len(raw)+len(pseud))
	for _, r := range raw {
		if r == "" {
			return nil, fmt.Errorf("%w: an empty subject id", ErrInvalid)
		}
		out = append(out, s.d.Privacy.Pseudonym(tenant, r))
	}
	for _, p := range pseud {
		if !pseudonymPattern.MatchString(p) {
			return nil, fmt.Errorf("%w: subject pseudonym %q is not one attest issued (sub_ and 26 base32 characters)", ErrInvalid, p)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// AddSnapshot registers an immutable snapshot of a dataset with the data
// subjects it holds, so erasure requests find it.
func (s *Service) AddSnapshot(ctx context.Context, tenant string, actor ledger.Actor, name string, spec SnapshotSpec) (Snapshot, error) {
	d, err := s.datasets.Get(ctx, tenant, name)
	if err != nil {
		return Snapshot{}, notFound(err, "no dataset %q; register it first", name)
	}
	digest, err := normDigest("snapshot digest", spec.Digest)
	if err != nil {
		return Snapshot{}, err
	}
	if d.snapshot(digest) != nil {
		return Snapshot{}, fmt.Errorf("%w: dataset %s already has snapshot %s", ErrConflict, name, digest)
	}
	if err := limitText("uri", spec.URI, 1000); err != nil {
		return Snapshot{}, err
	}
	subs, err := s.pseudonyms(tenant, spec.Subjects, spec.Pseudonyms)
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{Digest: digest, URI: spec.URI, Subjects: len(subs), Registered: s.now(), RegisteredBy: actor.ID}
	if len(subs) > 0 {
		snap.SubjectsSHA256 = sha256Hex([]byte(strings.Join(subs, "\n")))
	}
	idx, err := s.record(ctx, EventDatasetRegistered, tenant, actor, map[string]any{
		"name": name, "snapshot": digest, "uri": spec.URI, "classification": d.Classification,
		"retention_days": d.RetentionDays, "subjects": snap.Subjects, "subjects_sha256": snap.SubjectsSHA256,
	}, datasetRef(name), datasetRef(digest))
	if err != nil {
		return Snapshot{}, err
	}
	snap.Index = idx
	ref := privacy.Reference{Kind: "dataset", ID: name + "@" + digest}
	if err := s.indexSubjects(ctx, tenant, ref, subs); err != nil {
		return Snapshot{}, err
	}
	_, err = s.datasets.Mutate(ctx, tenant, name, func(d *Dataset) error {
		if d.snapshot(digest) != nil {
			return fmt.Errorf("%w: dataset %s already has snapshot %s", ErrConflict, name, digest)
		}
		d.Snapshots = append(d.Snapshots, snap)
		return nil
	})
	return snap, err
}

// indexSubjects stores a snapshot's or evaluation set's subject list and
// adds it to each subject's reverse index.
func (s *Service) indexSubjects(ctx context.Context, tenant string, ref privacy.Reference, subs []string) error {
	if len(subs) == 0 {
		return nil
	}
	if err := s.snapSubs.Create(ctx, tenant, ref.Kind+":"+ref.ID, snapshotSubjects{Subjects: subs}); err != nil && !errors.Is(err, records.ErrExists) {
		return err
	}
	for _, sub := range subs {
		_, err := s.subjects.Mutate(ctx, tenant, sub, func(x *subjectRefs) error {
			if !slices.Contains(x.Refs, ref) {
				x.Refs = append(x.Refs, ref)
			}
			return nil
		})
		if errors.Is(err, records.ErrNotFound) {
			err = s.subjects.Create(ctx, tenant, sub, subjectRefs{Refs: []privacy.Reference{ref}})
			if errors.Is(err, records.ErrExists) {
				_, err = s.subjects.Mutate(ctx, tenant, sub, func(x *subjectRefs) error {
					if !slices.Contains(x.Refs, ref) {
						x.Refs = append(x.Refs, ref)
					}
					return nil
				})
			}
		}
		if err != nil {
			return fmt.Errorf("index data subjects: %w", err)
		}
	}
	return nil
}

var _ privacy.DatasetIndex = (*Service)(nil)

// ReferencesTo implements privacy.DatasetIndex: the dataset snapshots and
// evaluation sets that hold the subject's data.
func (s *Service) ReferencesTo(ctx context.Context, tenant, subject string) ([]privacy.Reference, error) {
	x, err := s.subjects.Get(ctx, tenant, subject)
	if errors.Is(err, records.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return x.Refs, nil
}

// Dataset returns a registered dataset.
func (s *Service) Dataset(ctx context.Context, tenant, name string) (Dataset, error) {
	d, err := s.datasets.Get(ctx, tenant, name)
	return d, notFound(err, "no dataset %q", name)
}

// Datasets lists a tenant's datasets.
func (s *Service) Datasets(ctx context.Context, tenant string) ([]Dataset, error) {
	return s.datasets.List(ctx, tenant)
}

// ConsentFlag is a snapshot holding data of subjects who withdrew their
// consent to training.
type ConsentFlag struct {
	Dataset string `json:"dataset"`
	Digest  string `json:"digest"`
	// Withdrawn lists the pseudonyms, at most 100; Count is exact.
	Withdrawn []string `json:"withdrawn"`
	Count     int      `json:"count"`
}

// WithdrawnConsent lists the dataset's snapshots that hold subjects who
// opted out of training, so they are not trained on again.
func (s *Service) WithdrawnConsent(ctx context.Context, tenant, name string) ([]ConsentFlag, error) {
	d, err := s.Dataset(ctx, tenant, name)
	if err != nil {
		return nil, err
	}
	if s.d.Privacy == nil {
		return nil, nil
	}
	var out []ConsentFlag
	for _, snap := range d.Snapshots {
		if snap.Subjects == 0 {
			continue
		}
		subs, err := s.snapSubs.Get(ctx, tenant, "dataset:"+name+"@"+snap.Digest)
		if err != nil {
			return nil, err
		}
		f := ConsentFlag{Dataset: name, Digest: snap.Digest}
		for _, sub := range subs.Subjects {
			ok, err := s.d.Privacy.Allowed(ctx, tenant, sub, privacy.PurposeTraining)
			if err != nil {
				return nil, err
			}
			if !ok {
				f.Count++
				if len(f.Withdrawn) < 100 {
					f.Withdrawn = append(f.Withdrawn, sub)
				}
			}
		}
		if f.Count > 0 {
			out = append(out, f)
		}
	}
	return out, nil
}
