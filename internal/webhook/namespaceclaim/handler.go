package namespaceclaim

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/quota/tenantledger"
	"github.com/naas-dev/naas/internal/tenancy"
	"github.com/naas-dev/naas/internal/webhook"
)

// Defaulter records who created a claim in spec.requester, from the user the API server authenticated, so
// that a developer may later delete the claims they asked for. Only privileged users (naas's REST API acting
// for a user, platform admins) may set another requester. It also puts naas's finalizer on the claim as it is
// created, so that the claim controller need not add it with a write of its own (which the validating webhooks
// would admit again) before it provisions; the controller still adds it to a claim admitted without this
// webhook.
type Defaulter struct {
	Privileged func(tenancy.User) bool
	Decoder    admission.Decoder
}

var _ admission.Handler = (*Defaulter)(nil)

// Handle implements admission.Handler.
func (d *Defaulter) Handle(ctx context.Context, req admission.Request) admission.Response {
	if req.Operation != admissionv1.Create {
		return admission.Allowed("")
	}
	claim, err := webhook.Object[naasv1alpha1.NamespaceClaim](ctx, d.Decoder, req)
	if err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	user := webhook.User(req)
	patches := Defaults(claim, user, d.Privileged(user))
	if len(patches) == 0 {
		return admission.Allowed("requester given by a privileged user, finalizer present")
	}
	return admission.Patched("requester and finalizer recorded", patches...)
}

// Defaults returns the JSON patch that completes a claim being created by user: naas's finalizer, unless the claim
// carries it, and spec.requester set to user, unless a privileged user gave one.
func Defaults(claim *naasv1alpha1.NamespaceClaim, user tenancy.User, privileged bool) []jsonpatch.Operation {
	var out []jsonpatch.Operation
	switch {
	case slices.Contains(claim.Finalizers, naasv1alpha1.FinalizerNamespace):
	case len(claim.Finalizers) == 0:
		out = append(out, jsonpatch.Operation{Operation: "add", Path: "/metadata/finalizers", Value: []string{naasv1alpha1.FinalizerNamespace}})
	default:
		out = append(out, jsonpatch.Operation{Operation: "add", Path: "/metadata/finalizers/-", Value: naasv1alpha1.FinalizerNamespace})
	}
	if claim.Spec.Requester == nil || !privileged {
		out = append(out, jsonpatch.Operation{
			Operation: "add", Path: "/spec/requester",
			Value: naasv1alpha1.Requester{Username: user.Name, Groups: user.Groups},
		})
	}
	return out
}

// Validator admits creates, updates and deletes of claims (see Validate).
type Validator struct {
	// Client reads tenants, templates, tiers, claims (by the tenant index) and the metadata of namespaces, from
	// the manager's cache.
	Client client.Client
	// Cache, when set, is the cache behind Client: the tenant's claims are then counted in place, not listed
	// (see cacheindex).
	Cache cache.Cache
	// Ledgers count tenants' namespaces exactly under concurrency.
	Ledgers    *tenantledger.Store
	Privileged func(tenancy.User) bool
	Decoder    admission.Decoder
	// Clock is the clock; time.Now when nil.
	Clock webhook.Clock
}

var _ admission.Handler = (*Validator)(nil)

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	user := webhook.User(req)
	r := Request{Operation: req.Operation, User: user, Privileged: v.Privileged(user)}
	var err error
	if req.Operation != admissionv1.Delete {
		if r.Claim, err = webhook.Object[naasv1alpha1.NamespaceClaim](ctx, v.Decoder, req); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	if req.Operation == admissionv1.Update || req.Operation == admissionv1.Delete {
		if r.Old, err = webhook.OldObject[naasv1alpha1.NamespaceClaim](ctx, v.Decoder, req); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
	}
	subject := r.Claim
	if subject == nil {
		subject = r.Old
	}
	if err := v.resolve(ctx, &r, subject); err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	var res Result
	if req.Operation == admissionv1.Create {
		var err error
		if res, err = v.create(ctx, r, req.DryRun != nil && *req.DryRun); err != nil {
			return admission.Errored(http.StatusInternalServerError, err)
		}
	} else {
		res = Validate(r)
	}
	if res.Err == nil && req.Operation == admissionv1.Delete && (req.DryRun == nil || !*req.DryRun) {
		v.release(ctx, r)
	}
	if res.Err != nil {
		return webhook.Deny(res.Err)
	}
	return admission.Allowed("").WithWarnings(res.Warnings...)
}

// resolve reads the tenant, template and tiers the claim names.
func (v *Validator) resolve(ctx context.Context, r *Request, c *naasv1alpha1.NamespaceClaim) error {
	var err error
	// Read without copies (webhook.Get), and shared with the other steps of the request.
	if r.Tenant, err = webhook.Get[naasv1alpha1.Tenant](ctx, v.Client, c.Spec.Tenant); err != nil {
		return err
	}
	if r.Template, err = webhook.Get[naasv1alpha1.NamespaceTemplate](ctx, v.Client, c.Spec.Template); err != nil {
		return err
	}
	if r.Tier, err = webhook.Get[naasv1alpha1.Tier](ctx, v.Client, tenancy.EffectiveTier(c, r.Template)); err != nil {
		return err
	}
	if r.Old != nil && r.Claim != nil {
		if r.OldTier, err = webhook.Get[naasv1alpha1.Tier](ctx, v.Client, tenancy.EffectiveTier(r.Old, r.Template)); err != nil {
			return err
		}
	}
	if r.Template == nil {
		if r.Templates, err = names(ctx, v.Client, &naasv1alpha1.NamespaceTemplateList{}); err != nil {
			return err
		}
	}
	if r.Template != nil && r.Tier == nil {
		if r.Tiers, err = names(ctx, v.Client, &naasv1alpha1.TierList{}); err != nil {
			return err
		}
	}
	if r.Operation != admissionv1.Create {
		return nil
	}
	if c.Spec.Cluster != "" {
		clusters := &naasv1alpha1.ClusterList{}
		if err := v.Client.List(ctx, clusters); err != nil {
			return fmt.Errorf("list clusters: %w", err)
		}
		r.Clusters = clusters.Items
	}
	if r.Tenant == nil && !r.Privileged {
		tenants := &naasv1alpha1.TenantList{}
		if err := v.Client.List(ctx, tenants, client.UnsafeDisableDeepCopy); err != nil {
			return fmt.Errorf("list tenants: %w", err)
		}
		for i := range tenants.Items {
			if _, ok := tenancy.RoleOf(r.User, &tenants.Items[i]); ok {
				r.MemberOf = append(r.MemberOf, tenants.Items[i].Name)
			}
		}
		sort.Strings(r.MemberOf)
	}
	var tenants client.Reader = v.Client
	if v.Cache != nil {
		tenants = v.Cache
	}
	if r.Prefixes, err = cacheindex.PrefixesReserving(ctx, tenants, c.Name); err != nil {
		return err
	}
	r.Namespace, err = namespaceMetadata(ctx, v.Client, c.Name)
	return err
}

// namespaceMetadata reads the metadata of the namespace name from the cache, which holds every namespace's (a
// typed read would go to the API server: 6,000 reads in 30 s of claims at 200/s). A namespace the cache has not
// seen yet (made a moment ago) counts as none: the claim controller still refuses to take over a namespace that
// exists and is not naas's. The Namespace returned carries the metadata only, all that Validate reads.
func namespaceMetadata(ctx context.Context, c client.Reader, name string) (*corev1.Namespace, error) {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := c.Get(ctx, client.ObjectKey{Name: name}, m); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("read namespace %s: %w", name, err)
	}
	return &corev1.Namespace{ObjectMeta: m.ObjectMeta}, nil
}

// create decides a create and, for a tenant with a namespace cap, reserves the claim's slot in the tenant's
// ledger in the same compare-and-swap that counted the tenant's namespaces.
func (v *Validator) create(ctx context.Context, r Request, dryRun bool) (Result, error) {
	if r.Tenant == nil || r.Tenant.Spec.MaxNamespaces == nil {
		n := 0 // counted in a local: a closure over r would copy the request to the heap
		if err := v.eachClaim(ctx, r, func(*naasv1alpha1.NamespaceClaim) { n++ }); err != nil {
			return Result{}, err
		}
		r.Current = n
		return Validate(r), nil
	}
	return v.createCapped(ctx, r, dryRun)
}

// createCapped is create for a tenant with a namespace cap (apart, so that the closure's copy of r is made only
// for such tenants).
func (v *Validator) createCapped(ctx context.Context, r Request, dryRun bool) (Result, error) {
	var res Result
	err := v.Ledgers.Change(ctx, r.Tenant, dryRun, func(l *quota.Ledger) (bool, error) {
		existing, err := v.countClaims(ctx, r)
		if err != nil {
			return false, err
		}
		now := v.Clock.Now()
		before := len(l.Claims)
		l.ReleaseClaim(r.Claim.Name)
		r.Current = l.CountClaims(existing, now)
		if res = Validate(r); !res.Allowed() {
			// The entries the count dropped (expired ones) go even so.
			return len(l.Claims) != before, nil
		}
		l.AddClaim(r.Claim.Name, r.Claim.UID, now)
		return true, nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("count the namespaces of tenant %s: %w", r.Tenant.Name, err)
	}
	return res, nil
}

// release drops a deleted claim's entry from its tenant's ledger once naas's cache shows the claim: the claim then
// counts itself, deleting included, until it is gone (tenancy.HoldsNamespace). The entry of a claim the cache does
// not show yet stays, and expires within a minute, so that the claim is never counted nowhere. A failure only
// delays the release until the entry expires.
func (v *Validator) release(ctx context.Context, r Request) {
	if r.Tenant == nil || r.Tenant.Spec.MaxNamespaces == nil {
		return
	}
	cached, err := webhook.Get[naasv1alpha1.NamespaceClaim](ctx, v.Client, r.Old.Name)
	if err != nil || cached == nil || cached.UID != r.Old.UID {
		return
	}
	if err := v.Ledgers.Change(ctx, r.Tenant, false, func(l *quota.Ledger) (bool, error) {
		n := len(l.Claims)
		l.ReleaseClaim(r.Old.Name)
		return len(l.Claims) != n, nil
	}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Release the ledger entry of a deleted claim", "claim", r.Old.Name)
	}
}

// countClaims returns the tenant's claims that hold a namespace (tenancy.HoldsNamespace), by name: those being
// deleted included, until their namespace is gone.
func (v *Validator) countClaims(ctx context.Context, r Request) (map[string]types.UID, error) {
	out := map[string]types.UID{}
	err := v.eachClaim(ctx, r, func(c *naasv1alpha1.NamespaceClaim) { out[c.Name] = c.UID })
	return out, err
}

// eachClaim calls f with each of the tenant's claims that hold a namespace (tenancy.HoldsNamespace) while the claim
// is being created, as the cache holds it: f must neither change nor keep it.
func (v *Validator) eachClaim(ctx context.Context, r Request, f func(*naasv1alpha1.NamespaceClaim)) error {
	// The closure captures the two names, not r: capturing r would copy the whole request to the heap.
	name, tenant := r.Claim.Name, r.Claim.Spec.Tenant
	live := func(c *naasv1alpha1.NamespaceClaim) {
		if tenancy.HoldsNamespace(c, name) {
			f(c)
		}
	}
	if v.Cache != nil {
		if err := cacheindex.Each(ctx, v.Cache, &naasv1alpha1.NamespaceClaim{}, cacheindex.ClaimTenant, tenant, live); err != nil {
			return fmt.Errorf("count the claims of tenant %s: %w", tenant, err)
		}
		return nil
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	// Read without copies (a tenant's claims are megabytes at 1,000 namespaces).
	if err := v.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: tenant}, client.UnsafeDisableDeepCopy); err != nil {
		return fmt.Errorf("list the claims of tenant %s: %w", tenant, err)
	}
	for i := range claims.Items {
		live(&claims.Items[i])
	}
	return nil
}

// names returns the sorted names of the objects of a list kind.
func names(ctx context.Context, c client.Reader, list client.ObjectList) ([]string, error) {
	if err := c.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list %T: %w", list, err)
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		if o, ok := it.(client.Object); ok {
			out = append(out, o.GetName())
		}
	}
	sort.Strings(out)
	return out, nil
}
