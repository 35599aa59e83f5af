// Package webhook holds naas's admission webhooks, one package per kind: thin handlers that gather the
// objects a decision needs and hand them to pure validation (tenancy for claims, quota for tenant quota).
// Everything CEL can decide runs as ValidatingAdmissionPolicies in the API server instead (see platform);
// webhooks are for what needs naas's state: the tenant's role matrix, its namespace count and its
// tenant-wide quota, reserved with compare-and-swap so that they hold exactly under concurrency.
package webhook

import (
	"errors"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/naas-dev/naas/internal/tenancy"
)

// Deny turns an API error into an admission denial that keeps its code, reason and causes, so that clients
// see a Forbidden or Invalid error as if the API server itself had returned it.
func Deny(err error) admission.Response {
	status := apierrors.NewInternalError(err).ErrStatus
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		status = se.Status()
	}
	return admission.Response{AdmissionResponse: admissionv1.AdmissionResponse{Allowed: false, Result: &status}}
}

// User returns the requesting user of an admission request.
func User(req admission.Request) tenancy.User {
	return tenancy.User{Name: req.UserInfo.Username, Groups: req.UserInfo.Groups}
}

// Privileged returns whether a user is above the tenants' guardrails: a platform admin, one of naas's own
// identities (controllers), or one of the cluster's controllers (kube-controller-manager and the service
// accounts of kube-system, such as the garbage collector).
func Privileged(controllers []string) func(tenancy.User) bool {
	return func(u tenancy.User) bool {
		return tenancy.IsPlatformAdmin(u) || slices.Contains(controllers, u.Name) ||
			u.Name == "system:kube-controller-manager" || strings.HasPrefix(u.Name, "system:serviceaccount:kube-system:")
	}
}
