// Package tenant admits Tenants: their quota must name resources tenant quota enforces and their naming rules
// must compile, so that a platform admin's typo is refused when applied rather than found later in every
// claim's status; and their naming prefix must not overlap another tenant's, since a prefix reserves the names
// that start with it for its tenant. Lowering a cap below what the tenant holds is allowed, with a warning that says so.
package tenant

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/quota"
	"github.com/naas-dev/naas/internal/tenancy"
	"github.com/naas-dev/naas/internal/webhook"
)

// Validate checks a tenant's spec.
func Validate(t *naasv1alpha1.Tenant) field.ErrorList {
	spec := field.NewPath("spec")
	errs := quota.ValidateHard(t.Spec.Quota, spec.Child("quota"))
	for i, p := range t.Spec.Naming.ForbiddenPatterns {
		if _, err := regexp.Compile(p); err != nil {
			errs = append(errs, field.Invalid(spec.Child("naming", "forbiddenPatterns").Index(i), p,
				fmt.Sprintf("is not a valid regular expression (RE2): %v", err)))
		}
	}
	for i, r := range t.Spec.AllowedRegistries {
		if strings.TrimSpace(r) == "" || strings.ContainsAny(r, " \t") {
			errs = append(errs, field.Invalid(spec.Child("allowedRegistries").Index(i), r,
				`must be an image reference prefix without spaces, e.g. "ghcr.io/acme/"`))
		}
	}
	for i, other := range t.Spec.AcceptedCollaborations {
		if other == t.Name {
			errs = append(errs, field.Invalid(spec.Child("acceptedCollaborations").Index(i), other,
				"is the tenant itself, whose namespaces reach each other already: name another tenant"))
		}
	}
	return errs
}

// Warnings tells a platform admin what a change means for what the tenant already has: namespaces and usage
// above a lowered cap stay, and new ones are refused until the tenant is back under it.
func Warnings(t *naasv1alpha1.Tenant, namespaces int) []string {
	var out []string
	if m := t.Spec.MaxNamespaces; m != nil && namespaces > int(*m) {
		out = append(out, fmt.Sprintf("tenant %q has %d namespaces, more than spec.maxNamespaces %d: they keep working, and new ones are refused until it has fewer than %d",
			t.Name, namespaces, *m, *m))
	}
	names := make([]string, 0, len(t.Spec.Quota))
	for name := range t.Spec.Quota {
		names = append(names, string(name))
	}
	sort.Strings(names)
	for _, n := range names {
		hard, used := t.Spec.Quota[corev1.ResourceName(n)], t.Status.Used[corev1.ResourceName(n)]
		if used.Cmp(hard) > 0 {
			out = append(out, fmt.Sprintf("tenant %q uses %s=%s, more than the new spec.quota %s: what runs keeps running, and new workloads needing %s are refused until usage is below it",
				t.Name, n, used.String(), hard.String(), n))
		}
	}
	return out
}

// Validator admits creates and updates of tenants.
type Validator struct {
	// Client lists the tenant's claims from the manager's cache (for the warnings).
	Client client.Client
	// Reader reads the tenants from the API server for the naming prefix check, so that a tenant written a
	// moment ago counts; Client when nil.
	Reader  client.Reader
	Decoder admission.Decoder
}

var _ admission.Handler = (*Validator)(nil)

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	t := &naasv1alpha1.Tenant{}
	if err := v.Decoder.Decode(req, t); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	prefixErrs, err := v.checkPrefix(ctx, req, t)
	if err != nil {
		return admission.Errored(http.StatusInternalServerError, err)
	}
	if errs := append(Validate(t), prefixErrs...); len(errs) > 0 {
		return webhook.Deny(apierrors.NewInvalid(naasv1alpha1.GroupVersion.WithKind("Tenant").GroupKind(), t.Name, errs))
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	// Only counted: read without copies.
	if err := v.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return admission.Allowed("") // the warnings are a courtesy; never refuse a valid tenant over them
	}
	return admission.Allowed("").WithWarnings(Warnings(t, len(claims.Items))...)
}

// checkPrefix refuses a naming prefix that overlaps another tenant's (tenancy.CheckPrefixOverlap). An update that
// keeps the tenant's prefix is not held to it, so that tenants whose prefixes overlapped before the rule can still
// be changed. Tenants are few and seldom written: all of them are read, from the API server.
func (v *Validator) checkPrefix(ctx context.Context, req admission.Request, t *naasv1alpha1.Tenant) (field.ErrorList, error) {
	if t.Spec.Naming.Prefix == "" {
		return nil, nil
	}
	if req.Operation == admissionv1.Update {
		old := &naasv1alpha1.Tenant{}
		if err := v.Decoder.DecodeRaw(req.OldObject, old); err != nil {
			return nil, err
		}
		if old.Spec.Naming.Prefix == t.Spec.Naming.Prefix {
			return nil, nil
		}
	}
	tenants := &naasv1alpha1.TenantList{}
	var reader client.Reader = v.Client
	if v.Reader != nil {
		reader = v.Reader
	}
	if err := reader.List(ctx, tenants); err != nil {
		return nil, fmt.Errorf("list tenants to compare naming prefixes: %w", err)
	}
	others := make([]tenancy.TenantPrefix, 0, len(tenants.Items))
	for i := range tenants.Items {
		others = append(others, tenancy.PrefixOf(&tenants.Items[i]))
	}
	return tenancy.CheckPrefixOverlap(t, others), nil
}
