// Package hostnames admits the hostnames and collaborators of NamespaceClaims. A mutating webhook gives a claim
// that asks for no hostname the default <namespace>.<tenant base domain>; a validating webhook checks that the
// tenant owns the hostnames a claim asks for, and reserves them in hostname ledgers so that no two namespaces
// hold overlapping hostnames, wildcards included, however many admissions race. It also holds changes to a claim's
// collaborators to the tenant's admins (tenancy.ActionManageMembers). Validate is the pure decision; the handlers
// gather its inputs and keep the ledgers.
package hostnames

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/ledger"
)

const (
	// LedgerPrefix starts the name of every hostname ledger ConfigMap: naas-host-<key>, one per domains.Key (a
	// wildcard and the names directly under it: naas-host-pay.example.com holds *.pay.example.com and
	// api.pay.example.com; a tenant's default hostnames share the ledger of its domain).
	LedgerPrefix = "naas-host-"
	// LedgerDataKey holds the ledger, as JSON, in the ConfigMap.
	LedgerDataKey = "reservations.json"
	// LabelLedger tells naas's ledger ConfigMaps apart.
	LabelLedger = "naas.dev/ledger"
	// LedgerHostnames is the value of LabelLedger on the hostname ledgers.
	LedgerHostnames = "hostnames"
	// labelAbove starts the labels that make a wildcard's check a list: naas.dev/host-above-<n> is a hash of the
	// key's ancestor of n labels (see domains.Ancestors), so *.example.com lists naas.dev/host-above-2=hash(example.com).
	labelAbove = "naas.dev/host-above-"
	// labelKey is a hash of the key of a ledger ConfigMap, so that an admission reads the ledgers of its keys'
	// ancestors in one list.
	labelKey = "naas.dev/host-key"
	// annotationKey names the key of a ledger ConfigMap.
	annotationKey = "naas.dev/hostname-key"

	// legacyPrefix and legacyAnnotation mark the ledgers of naas before 2027-01, one per bucket (the last two
	// labels of the names in it): one object for every hostname under a base domain. Migrate moves them.
	legacyPrefix     = "naas-hostnames-"
	legacyAnnotation = "naas.dev/hostname-bucket"
)

// LedgerName is the name of the ConfigMap of a key's ledger: naas-host-<key>, or a hash of the key for one too
// long for a name.
func LedgerName(key string) string {
	if len(LedgerPrefix)+len(key) <= 253 {
		return LedgerPrefix + key
	}
	return LedgerPrefix + hash(key)
}

// hash is a short, label-safe digest of a domain.
func hash(domain string) string {
	sum := sha256.Sum256([]byte(domain))
	return hex.EncodeToString(sum[:10])
}

// Store reads and changes the hostname ledgers, one small ConfigMap per key in naas's namespace, through the
// compare-and-swap store of internal/ledger: two admissions racing for the same key cannot both win, whichever
// replica of naas serves them, and admissions of unrelated hostnames never touch the same object. A ledger left
// empty is deleted.
type Store struct {
	s      *ledger.Store[domains.Ledger]
	client client.Client
}

// NewStore returns a store for the ledgers in namespace; c must read from the API server, not a cache.
func NewStore(c client.Client, namespace string) *Store {
	return &Store{client: c, s: ledger.New(c, namespace, ledger.Options[domains.Ledger]{
		What:    "hostname ledger",
		DataKey: LedgerDataKey,
		Labels:  map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, LabelLedger: LedgerHostnames},
		Empty:   func(l *domains.Ledger) bool { return len(l.Reservations) == 0 },
		// A key is a tenant's domain for its default hostnames: changed on every claim admission of the tenant.
		// A deleted ledger is forgotten.
		Remember: true,
		// A ledger that cannot be read is not started afresh: that would free every hostname in it.
	})}
}

// Change runs f on the key's current ledger and stores the result if f says it changed it (see
// ledger.Store.Change).
func (s *Store) Change(ctx context.Context, key string, dryRun bool, f func(l *domains.Ledger) (changed bool, err error)) error {
	labels := map[string]string{labelKey: hash(key)}
	for _, a := range domains.Ancestors(key) {
		labels[labelAbove+strconv.Itoa(domains.Depth(a))] = hash(a)
	}
	return s.s.Change(ctx, ledger.Key{Name: LedgerName(key), Labels: labels, Annotations: map[string]string{annotationKey: key}}, dryRun, f)
}

// Read returns a key's ledger (an empty one if there is none).
func (s *Store) Read(ctx context.Context, key string) (*domains.Ledger, error) {
	return s.s.Read(ctx, LedgerName(key))
}

// Of returns the ledgers of keys that exist, by key, in one list from the API server.
func (s *Store) Of(ctx context.Context, keys []string) (map[string]*domains.Ledger, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	hashes := make([]string, 0, len(keys))
	for _, k := range keys {
		hashes = append(hashes, hash(k))
	}
	selector, err := labels.Parse(labelKey + " in (" + strings.Join(hashes, ",") + ")")
	if err != nil {
		return nil, err
	}
	return s.list(ctx, client.MatchingLabelsSelector{Selector: selector}, func(key string) bool { return slices.Contains(keys, key) })
}

// Below returns the ledgers of the keys strictly below domain, by key: where the reservations a wildcard
// *.<domain> overlaps are. It lists from the API server by label.
func (s *Store) Below(ctx context.Context, domain string) (map[string]*domains.Ledger, error) {
	return s.list(ctx, client.MatchingLabels{labelAbove + strconv.Itoa(domains.Depth(domain)): hash(domain)}, func(key string) bool {
		return slices.Contains(domains.Ancestors(key), domain)
	})
}

// All returns every hostname ledger, by key.
func (s *Store) All(ctx context.Context) (map[string]*domains.Ledger, error) {
	return s.list(ctx, client.MatchingLabels{LabelLedger: LedgerHostnames}, func(string) bool { return true })
}

func (s *Store) list(ctx context.Context, selector client.ListOption, keep func(key string) bool) (map[string]*domains.Ledger, error) {
	list := &corev1.ConfigMapList{}
	if err := s.client.List(ctx, list, client.InNamespace(s.s.Namespace()), selector); err != nil {
		return nil, fmt.Errorf("list hostname ledgers: %w", err)
	}
	out := map[string]*domains.Ledger{}
	for i := range list.Items {
		cm := &list.Items[i]
		key := cm.Annotations[annotationKey]
		if key == "" || cm.Labels[LabelLedger] != LedgerHostnames || !keep(key) {
			continue
		}
		l, err := s.s.Decode(cm)
		if err != nil {
			return nil, err
		}
		out[key] = l
	}
	return out, nil
}

// Migrate moves the reservations of the ledgers of earlier versions of naas (one ConfigMap per bucket,
// naas-hostnames-<bucket>) into the ledgers of their keys and deletes the old ConfigMaps, so that an upgrade
// loses no reservation. It runs before the webhook serves; an install without old ledgers costs one list.
func (s *Store) Migrate(ctx context.Context) error {
	list := &corev1.ConfigMapList{}
	if err := s.client.List(ctx, list, client.InNamespace(s.s.Namespace()),
		client.MatchingLabels{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue}); err != nil {
		return fmt.Errorf("list hostname ledgers to migrate: %w", err)
	}
	for i := range list.Items {
		cm := &list.Items[i]
		if _, ok := cm.Annotations[legacyAnnotation]; !ok || !strings.HasPrefix(cm.Name, legacyPrefix) {
			continue
		}
		old, err := s.s.Decode(cm)
		if err != nil {
			return err
		}
		byKey := map[string][]domains.Reservation{}
		for _, r := range old.Reservations {
			byKey[domains.Key(r.Hostname)] = append(byKey[domains.Key(r.Hostname)], r)
		}
		for key, rs := range byKey {
			if err := s.Change(ctx, key, false, func(l *domains.Ledger) (bool, error) { return l.Adopt(rs), nil }); err != nil {
				return fmt.Errorf("migrate hostname ledger %s: %w", cm.Name, err)
			}
		}
		rv := cm.ResourceVersion
		if err := s.client.Delete(ctx, cm, client.Preconditions{ResourceVersion: &rv}); client.IgnoreNotFound(err) != nil {
			// Changed since the list (an older replica still writes it): the next start migrates it again.
			return fmt.Errorf("delete the migrated hostname ledger %s: %w", cm.Name, err)
		}
	}
	return nil
}
