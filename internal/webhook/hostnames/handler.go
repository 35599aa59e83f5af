package hostnames

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/tenancy"
	"github.com/naas-dev/naas/internal/webhook"
)

// Defaulter gives a claim created without hostnames the default one, <namespace>.<tenant base domain>, so that
// what a namespace serves is explicit in its claim and reserved when it is admitted; a later change of the
// tenant's domains never moves it.
type Defaulter struct {
	// Client reads tenants, from the manager's cache.
	Client client.Reader
	// BaseDomain is the platform's base domain.
	BaseDomain string
	Decoder    admission.Decoder
}

var _ admission.Handler = (*Defaulter)(nil)

// Handle implements admission.Handler.
func (d *Defaulter) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("")
	}
	c, err := webhook.Object[naasv1alpha1.NamespaceClaim](ctx, d.Decoder, req)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if len(c.Spec.Hostnames) > 0 {
		return admission.Allowed("hostnames given")
	}
	t, err := webhook.Get[naasv1alpha1.Tenant](ctx, d.Client, c.Spec.Tenant)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	h := domains.Default(c.Name, t, d.BaseDomain)
	if h == "" {
		return admission.Allowed("the tenant has no domain to give a default hostname under")
	}
	return admission.Patched("default hostname", jsonpatch.Operation{Operation: "add", Path: "/spec/hostnames", Value: []string{h}})
}

// Validator admits the hostnames and collaborators of claims being created or updated (see Validate), and
// reserves the hostnames the request adds in the hostname ledgers of their keys (domains.Key).
type Validator struct {
	// Client reads tenants, templates and claims from the manager's cache.
	Client client.Reader
	// Reader reads claims from the API server, to tell whether an expired reservation still stands.
	Reader client.Reader
	// Indexed says that SetupIndexes registered the hostname indexes with Client's cache: an admission then reads
	// only the claims whose hostnames overlap those it asks for. Without them it reads every claim and tenant.
	Indexed bool
	// Ledgers keep the hostname reservations.
	Ledgers *Store
	// BaseDomain is the platform's base domain.
	BaseDomain string
	Privileged func(tenancy.User) bool
	Decoder    admission.Decoder
	// Clock is the clock; time.Now when nil.
	Clock webhook.Clock
}

var _ admission.Handler = (*Validator)(nil)

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create && req.Operation != admissionv1.Update {
		return admission.Allowed("")
	}
	user := webhook.User(req)
	r := Request{Operation: req.Operation, User: user, Privileged: v.Privileged(user), BaseDomain: v.BaseDomain}
	var err error
	if r.Claim, err = webhook.Object[naasv1alpha1.NamespaceClaim](ctx, v.Decoder, req); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		if r.Old, err = webhook.OldObject[naasv1alpha1.NamespaceClaim](ctx, v.Decoder, req); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	if err := v.resolve(ctx, &r); err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	res := Validate(r)
	if res.Err != nil {
		return webhook.Deny(res.Err)
	}
	if len(res.Reserve) > 0 {
		conflicts, err := v.reserve(ctx, r, res.Reserve, req.DryRun != nil && *req.DryRun)
		if err != nil {
			return admission.Errored(http.StatusInternalServerError, err)
		}
		if err := ConflictError(r.Claim, conflicts); err != nil {
			return webhook.Deny(err)
		}
	}
	return admission.Allowed("").WithWarnings(res.Warnings...)
}

// resolve reads the tenant, template and existing tenants the decision needs.
func (v *Validator) resolve(ctx context.Context, r *Request) error {
	var err error
	if r.Tenant, err = webhook.Get[naasv1alpha1.Tenant](ctx, v.Client, r.Claim.Spec.Tenant); err != nil {
		return err
	}
	if r.Template, err = webhook.Get[naasv1alpha1.NamespaceTemplate](ctx, v.Client, r.Claim.Spec.Template); err != nil {
		return err
	}
	if len(r.Claim.Spec.Collaborators) > 0 || len(r.Claim.Spec.AcceptedCollaborations) > 0 {
		tenants := &naasv1alpha1.TenantList{}
		if err := v.Client.List(ctx, tenants); err != nil {
			return fmt.Errorf("list tenants: %w", err)
		}
		for _, t := range tenants.Items {
			r.Tenants = append(r.Tenants, t.Name)
		}
		sort.Strings(r.Tenants)
	}
	return nil
}

// reserve checks hosts against what other namespaces hold, as the cache shows the claims, then reserves them in
// the ledgers of their keys, which hold the admissions of the last minute (the cache may not show them yet): key by
// key, each in one compare-and-swap of its small ledger, so that admissions of unrelated hostnames never touch the
// same object. Overlaps across keys (a wildcard and the names below it) are checked after the reservations are
// written, in the ledgers of the keys' ancestors and of the keys below a wildcard: of two such admissions racing,
// the later to write sees the other. A refused admission releases what it reserved.
func (v *Validator) reserve(ctx context.Context, r Request, hosts []string, dryRun bool) ([]domains.Conflict, error) {
	held, err := v.held(ctx, hosts)
	if err != nil {
		return nil, err
	}
	if conflicts := domains.HeldBy(r.Claim.Name, hosts, held); len(conflicts) > 0 {
		return conflicts, nil
	}
	byKey := domains.ByKey(hosts)
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	now := v.Clock.Now()
	standing := domains.Standing{Known: v.known(ctx, held), Holds: v.holds(ctx)}
	var reserved []string
	conflicts, err := func() ([]domains.Conflict, error) {
		for _, k := range keys {
			var conflicts []domains.Conflict
			err := v.Ledgers.Change(ctx, k, dryRun, func(l *domains.Ledger) (bool, error) {
				var err error
				conflicts, err = l.Reserve(r.Claim.Name, r.Claim.UID, byKey[k], now, standing)
				return err == nil && len(conflicts) == 0, err
			})
			if err != nil {
				return nil, fmt.Errorf("reserve hostnames %v for namespace %s: %w", byKey[k], r.Claim.Name, err)
			}
			if len(conflicts) > 0 {
				return conflicts, nil
			}
			reserved = append(reserved, k)
		}
		return v.overlapping(ctx, r.Claim.Name, hosts, byKey, now, standing)
	}()
	if (err != nil || len(conflicts) > 0) && !dryRun {
		for _, k := range reserved {
			if err := v.Ledgers.Change(ctx, k, false, func(l *domains.Ledger) (bool, error) {
				return l.Release(r.Claim.Name, byKey[k], now), nil
			}); err != nil {
				// It expires in a minute, and is dropped then as its claim does not exist.
				ctrl.LoggerFrom(ctx).Error(err, "Release the hostname reservations of a refused claim", "key", k)
			}
		}
	}
	return conflicts, err
}

// overlapping returns the standing reservations of other namespaces that overlap hosts from the ledgers of keys
// other than their own: the ancestors of each key (wildcards above it), and for a wildcard every key below its
// own. A name's admission reads its keys' ancestors in one list (of small ledgers, most often none); a wildcard's
// also lists the ledgers below it.
func (v *Validator) overlapping(ctx context.Context, namespace string, hosts []string, byKey map[string][]string, now time.Time, standing domains.Standing) ([]domains.Conflict, error) {
	var ancestors []string
	for k := range byKey {
		for _, a := range domains.Ancestors(k) {
			if byKey[a] == nil && !slices.Contains(ancestors, a) {
				ancestors = append(ancestors, a)
			}
		}
	}
	ledgers, err := v.Ledgers.Of(ctx, ancestors)
	if err != nil {
		return nil, err
	}
	if ledgers == nil {
		ledgers = map[string]*domains.Ledger{}
	}
	for k, hs := range byKey {
		if !slices.ContainsFunc(hs, domains.IsWildcard) {
			continue
		}
		below, err := v.Ledgers.Below(ctx, k)
		if err != nil {
			return nil, err
		}
		for b, l := range below {
			if byKey[b] == nil {
				ledgers[b] = l
			}
		}
	}
	var out []domains.Conflict
	for _, l := range ledgers {
		c, err := l.Overlapping(namespace, hosts, now, standing)
		if err != nil {
			return nil, err
		}
		out = append(out, c...)
	}
	slices.SortFunc(out, func(a, b domains.Conflict) int {
		return strings.Compare(a.Hostname+"\x00"+a.Held+"\x00"+a.Namespace, b.Hostname+"\x00"+b.Held+"\x00"+b.Namespace)
	})
	return out, nil
}

// Collect drops the expired reservations of every hostname ledger that no longer need to stand (their claim is
// cached, or does not hold them), deleting the ledgers left empty: a ledger lives about a minute after its last
// admission. Only ledgers with nothing but expired reservations are changed; with no ledgers it costs one list.
func (v *Validator) Collect(ctx context.Context) error {
	all, err := v.Ledgers.All(ctx)
	if err != nil {
		return err
	}
	now := v.Clock.Now()
	var errs []error
	for key, l := range all {
		if !l.Expired(now) {
			continue
		}
		standing := domains.Standing{Known: v.known(ctx, nil), Holds: v.holds(ctx)}
		if err := v.Ledgers.Change(ctx, key, false, func(l *domains.Ledger) (bool, error) {
			return l.Collect(v.Clock.Now(), standing)
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// held returns, by namespace, the hostnames the claims whose hostnames overlap hosts ask for (and possibly
// others), from the cache without copies: every claim stands for its hostnames once the cache shows it,
// including claims admitted before naas kept ledgers or while its webhook was bypassed; the ledgers cover the
// minute before. With the hostname indexes it reads only those claims; without, every claim.
func (v *Validator) held(ctx context.Context, hosts []string) (map[string][]string, error) {
	if !v.Indexed {
		return v.heldByEveryClaim(ctx)
	}
	out := map[string][]string{}
	var keys []string
	for _, h := range hosts {
		keys = append(keys, queryKeys(h)...)
	}
	slices.Sort(keys)
	for _, k := range slices.Compact(keys) {
		claims := &naasv1alpha1.NamespaceClaimList{}
		if err := v.Client.List(ctx, claims, client.MatchingFields{IndexHostnames: k}, client.UnsafeDisableDeepCopy); err != nil {
			return nil, fmt.Errorf("list the namespace claims holding hostnames that overlap %v: %w", hosts, err)
		}
		for i := range claims.Items {
			// Their spec.hostnames are set: what they hold does not depend on the tenant.
			out[claims.Items[i].Name] = domains.Requested(&claims.Items[i], nil, v.BaseDomain)
		}
	}
	for _, h := range hosts {
		if err := v.heldByDefault(ctx, h, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// heldByDefault adds to held the claims without spec.hostnames whose default hostname overlaps h.
func (v *Validator) heldByDefault(ctx context.Context, h string, held map[string][]string) error {
	tenantKey, name := defaultQuery(h)
	if tenantKey == "" {
		return nil
	}
	tenants := &naasv1alpha1.TenantList{}
	if err := v.Client.List(ctx, tenants, client.MatchingFields{IndexTenantDefaultDomain: tenantKey}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list the tenants whose default hostnames may overlap %s: %w", h, err)
	}
	if len(tenants.Items) == 0 {
		return nil
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if name != "" {
		// h can only be the default hostname of the claim named as its first label.
		c := &naasv1alpha1.NamespaceClaim{}
		switch err := v.Client.Get(ctx, client.ObjectKey{Name: name}, c, client.UnsafeDisableDeepCopy); {
		case apierrors.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("get namespace claim %s: %w", name, err)
		}
		claims.Items = []naasv1alpha1.NamespaceClaim{*c}
	} else {
		for i := range tenants.Items {
			list := &naasv1alpha1.NamespaceClaimList{}
			if err := v.Client.List(ctx, list, client.MatchingFields{IndexDefaultHostname: tenants.Items[i].Name}, client.UnsafeDisableDeepCopy); err != nil {
				return fmt.Errorf("list the namespace claims of tenant %s without hostnames: %w", tenants.Items[i].Name, err)
			}
			claims.Items = append(claims.Items, list.Items...)
		}
	}
	for i := range claims.Items {
		c := &claims.Items[i]
		if len(c.Spec.Hostnames) > 0 {
			continue
		}
		for j := range tenants.Items {
			if t := &tenants.Items[j]; t.Name == c.Spec.Tenant {
				held[c.Name] = domains.Requested(c, t, v.BaseDomain)
			}
		}
	}
	return nil
}

// heldByEveryClaim returns the hostnames every claim asks for, by namespace, from the cache without copies.
func (v *Validator) heldByEveryClaim(ctx context.Context) (map[string][]string, error) {
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := v.Client.List(ctx, claims, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list namespace claims: %w", err)
	}
	tenants := &naasv1alpha1.TenantList{}
	if err := v.Client.List(ctx, tenants, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list tenants: %w", err)
	}
	byName := map[string]*naasv1alpha1.Tenant{}
	for i := range tenants.Items {
		byName[tenants.Items[i].Name] = &tenants.Items[i]
	}
	out := make(map[string][]string, len(claims.Items))
	for i := range claims.Items {
		c := &claims.Items[i]
		out[c.Name] = domains.Requested(c, byName[c.Spec.Tenant], v.BaseDomain)
	}
	return out, nil
}

// known tells whether the cache shows a reservation's claim asking for its hostname, so that the expired
// reservation can go: held answers for the claims it holds (all of them, without the indexes); another is read
// from the cache. A claim the cache cannot tell about is not known.
func (v *Validator) known(ctx context.Context, held map[string][]string) func(domains.Reservation) bool {
	return func(res domains.Reservation) bool {
		if hosts, ok := held[res.Namespace]; ok || !v.Indexed {
			return slices.Contains(hosts, res.Hostname)
		}
		c := &naasv1alpha1.NamespaceClaim{}
		if err := v.Client.Get(ctx, client.ObjectKey{Name: res.Namespace}, c, client.UnsafeDisableDeepCopy); err != nil {
			return false
		}
		var t *naasv1alpha1.Tenant
		if len(c.Spec.Hostnames) == 0 {
			var err error
			if t, err = webhook.Get[naasv1alpha1.Tenant](ctx, v.Client, c.Spec.Tenant); err != nil {
				return false
			}
		}
		return slices.Contains(domains.Requested(c, t, v.BaseDomain), res.Hostname)
	}
}

// holds tells whether an expired reservation still stands: its claim exists, with the reservation's UID, and
// asks for the hostname. It reads the claim from the API server, not the cache, which may lag.
func (v *Validator) holds(ctx context.Context) func(domains.Reservation) (bool, error) {
	return func(res domains.Reservation) (bool, error) {
		c := &naasv1alpha1.NamespaceClaim{}
		err := v.Reader.Get(ctx, client.ObjectKey{Name: res.Namespace}, c)
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("read namespace claim %s to tell whether it holds %s: %w", res.Namespace, res.Hostname, err)
		}
		if res.UID != "" && c.UID != res.UID {
			return false, nil
		}
		t, err := webhook.Get[naasv1alpha1.Tenant](ctx, v.Client, c.Spec.Tenant)
		if err != nil {
			return false, err
		}
		return slices.Contains(domains.Requested(c, t, v.BaseDomain), res.Hostname), nil
	}
}
