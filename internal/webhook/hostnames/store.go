// Package hostnames admits the hostnames and collaborators of NamespaceClaims. A mutating webhook gives a claim
// that asks for no hostname the default <namespace>.<tenant base domain>; a validating webhook checks that the
// tenant owns the hostnames a claim asks for, and reserves them in a cluster-wide ledger so that no two namespaces
// hold overlapping hostnames, wildcards included, however many admissions race. It also holds changes to a claim's
// collaborators to the tenant's admins (tenancy.ActionManageMembers). Validate is the pure decision; the handlers
// gather its inputs and keep the ledger.
package hostnames

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
)

const (
	// LedgerPrefix starts the name of every hostname ledger ConfigMap: naas-hostnames-<bucket>, one per
	// domains.Bucket (the last two labels of the names in it, e.g. naas-hostnames-example.com).
	LedgerPrefix = "naas-hostnames-"
	// LedgerDataKey holds the ledger, as JSON, in the ConfigMap.
	LedgerDataKey = "reservations.json"
	// annotationBucket names the bucket of a ledger ConfigMap.
	annotationBucket = "naas.dev/hostname-bucket"
	// maxAttempts bounds the compare-and-swap retries of one change.
	maxAttempts = 20
)

// LedgerName is the name of the ConfigMap of a bucket's ledger.
func LedgerName(bucket string) string { return LedgerPrefix + bucket }

// Store reads and changes the hostname ledgers, one ConfigMap per bucket in naas's namespace, with
// compare-and-swap: every write is guarded by the resourceVersion that was read, so two admissions racing for
// overlapping hostnames cannot both win, whichever replica of naas serves them. Within one process a lock per
// bucket keeps admissions from conflicting with each other in the first place.
type Store struct {
	// Client reads and writes the ledger ConfigMaps; it must not read from a cache, or every write conflicts.
	Client client.Client
	// Namespace holds the ledgers.
	Namespace string

	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

// NewStore returns a store for the ledgers in namespace.
func NewStore(c client.Client, namespace string) *Store {
	return &Store{Client: c, Namespace: namespace, locks: map[string]*sync.Mutex{}}
}

func (s *Store) lock(bucket string) func() {
	s.mu.Lock()
	l, ok := s.locks[bucket]
	if !ok {
		l = &sync.Mutex{}
		s.locks[bucket] = l
	}
	s.mu.Unlock()
	l.Lock()
	return l.Unlock
}

// ErrConflict says a ledger kept changing under a change for maxAttempts tries.
var ErrConflict = fmt.Errorf("the hostname ledger kept changing; try again")

// Change runs f on the bucket's current ledger and stores the result if f says it changed it, retrying f on a
// fresh ledger when another writer got there first. An error from f is returned as is and stores nothing. With
// dryRun nothing is stored either.
func (s *Store) Change(ctx context.Context, bucket string, dryRun bool, f func(l *domains.Ledger) (changed bool, err error)) error {
	unlock := s.lock(bucket)
	defer unlock()
	for range maxAttempts {
		cm, l, err := s.load(ctx, bucket)
		if err != nil {
			return err
		}
		changed, err := f(l)
		if err != nil || !changed || dryRun {
			return err
		}
		err = s.store(ctx, bucket, cm, l)
		if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) || apierrors.IsNotFound(err) {
			continue
		}
		return err
	}
	return ErrConflict
}

// Read returns a bucket's ledger (an empty one if there is none yet).
func (s *Store) Read(ctx context.Context, bucket string) (*domains.Ledger, error) {
	_, l, err := s.load(ctx, bucket)
	return l, err
}

func (s *Store) load(ctx context.Context, bucket string) (*corev1.ConfigMap, *domains.Ledger, error) {
	cm := &corev1.ConfigMap{}
	err := s.Client.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: LedgerName(bucket)}, cm)
	if apierrors.IsNotFound(err) {
		return nil, &domains.Ledger{}, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the hostname ledger of %s: %w", bucket, err)
	}
	l := &domains.Ledger{}
	if data := cm.Data[LedgerDataKey]; data != "" {
		if err := json.Unmarshal([]byte(data), l); err != nil {
			// A ledger that cannot be read is not started afresh: that would free every hostname in it.
			return nil, nil, fmt.Errorf("the hostname ledger %s/%s cannot be read (%w): a platform admin must repair or delete it",
				s.Namespace, cm.Name, err)
		}
	}
	return cm, l, nil
}

func (s *Store) store(ctx context.Context, bucket string, cm *corev1.ConfigMap, l *domains.Ledger) error {
	data, err := json.Marshal(l)
	if err != nil {
		return fmt.Errorf("encode the hostname ledger of %s: %w", bucket, err)
	}
	if cm == nil {
		cm = &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   s.Namespace,
				Name:        LedgerName(bucket),
				Labels:      map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue},
				Annotations: map[string]string{annotationBucket: bucket},
			},
			Data: map[string]string{LedgerDataKey: string(data)},
		}
		return s.Client.Create(ctx, cm)
	}
	cm.Data = map[string]string{LedgerDataKey: string(data)}
	return s.Client.Update(ctx, cm) // guarded by cm's resourceVersion
}
