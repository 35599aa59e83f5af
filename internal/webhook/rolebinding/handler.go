// Package rolebinding audits the RoleBindings tenant users create and change in naas namespaces: each one is
// decided by tenancy.AuthorizeRoleBinding (who may be named, who may bind admin-level roles) and recorded in
// naas's audit store under the namespace's tenant, with who made it, its subjects and its role. The API server
// holds the same rule without naas, in each tenant's RoleBinding admission policy (package platform), which runs
// first; this webhook makes the record, and holds the rule in the moment before naas has made a new tenant's
// policy.
package rolebinding

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/tenancy"
)

// Audit actions of RoleBindings in tenant namespaces.
const (
	ActionCreate = "rolebinding.create"
	ActionUpdate = "rolebinding.update"
)

// Validator decides and audits RoleBindings in naas namespaces.
type Validator struct {
	// Client reads claims and tenants from the manager's cache.
	Client client.Client
	// Audit returns the audit store, or nil when naas keeps none (no REST API): the decision is then made
	// without a record.
	Audit   func() audit.Store
	Decoder admission.Decoder
}

var _ admission.Handler = (*Validator)(nil)

// Handle implements admission.Handler.
func (v *Validator) Handle(ctx context.Context, req admission.Request) admission.Response {
	rb := &rbacv1.RoleBinding{}
	if err := v.Decoder.Decode(req, rb); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	rb.Namespace = req.Namespace
	// The namespace's claim (named as the namespace) says whose it is.
	claim := &naasv1alpha1.NamespaceClaim{}
	if err := v.Client.Get(ctx, client.ObjectKey{Name: req.Namespace}, claim); err != nil {
		if apierrors.IsNotFound(err) {
			return admission.Allowed("namespace " + req.Namespace + " has no claim: it belongs to no tenant")
		}
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("read the claim of namespace %s: %w", req.Namespace, err))
	}
	t := &naasv1alpha1.Tenant{}
	if err := v.Client.Get(ctx, client.ObjectKey{Name: claim.Spec.Tenant}, t); err != nil {
		if apierrors.IsNotFound(err) {
			return admission.Denied(fmt.Sprintf("namespace %s belongs to tenant %s, which no longer exists: its RoleBindings cannot change", req.Namespace, claim.Spec.Tenant))
		}
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("read tenant %s: %w", claim.Spec.Tenant, err))
	}
	claims := &naasv1alpha1.NamespaceClaimList{}
	if err := v.Client.List(ctx, claims, client.MatchingFields{cacheindex.ClaimTenant: t.Name}, client.UnsafeDisableDeepCopy); err != nil {
		return admission.Errored(http.StatusInternalServerError, fmt.Errorf("list the claims of tenant %s: %w", t.Name, err))
	}
	namespaces := make(map[string]bool, len(claims.Items))
	for i := range claims.Items {
		namespaces[claims.Items[i].Name] = true
	}
	u := tenancy.User{Name: req.UserInfo.Username, Groups: req.UserInfo.Groups}
	d := tenancy.AuthorizeRoleBinding(u, t, func(ns string) bool { return namespaces[ns] }, rb)

	if req.DryRun == nil || !*req.DryRun {
		if err := v.record(ctx, req, t.Name, rb, u, d); err != nil {
			// Every RoleBinding in a tenant namespace is audited: one that cannot be is not made.
			return admission.Errored(http.StatusServiceUnavailable,
				fmt.Errorf("RoleBinding %s in namespace %s cannot be audited, so it was not made: try again (%w)", rb.Name, rb.Namespace, err))
		}
	}
	if !d.Allowed {
		return admission.Denied(d.Reason)
	}
	return admission.Allowed(d.Reason)
}

func (v *Validator) record(ctx context.Context, req admission.Request, tenant string, rb *rbacv1.RoleBinding, u tenancy.User, d tenancy.Decision) error {
	if v.Audit == nil {
		return nil
	}
	store := v.Audit()
	if store == nil {
		return nil
	}
	e := audit.Event{
		RequestID: string(req.UID),
		User:      u.Name,
		Groups:    u.Groups,
		Action:    ActionCreate,
		Tenant:    tenant,
		Namespace: rb.Namespace,
		Target:    "rolebinding/" + rb.Name,
		Result:    audit.ResultAllowed,
		Reason:    d.Reason,
		Details:   Details(rb),
	}
	if req.Operation == admissionv1.Update {
		e.Action = ActionUpdate
	}
	if !d.Allowed {
		e.Result = audit.ResultDenied
	}
	return store.Record(ctx, e)
}

// Details are what an audit record keeps of a RoleBinding: its role ("ClusterRole/edit") and its subjects
// ("User alice, ServiceAccount acme-web/ci").
func Details(rb *rbacv1.RoleBinding) map[string]string {
	subjects := make([]string, 0, len(rb.Subjects))
	for _, s := range rb.Subjects {
		subjects = append(subjects, tenancy.DescribeSubject(s, rb.Namespace))
	}
	return map[string]string{
		"role":     rb.RoleRef.Kind + "/" + rb.RoleRef.Name,
		"subjects": strings.Join(subjects, ", "),
	}
}
