package apiserver

import (
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/tenancy"
)

// maxReasonLength is the CRD's bound on status.approval.reason.
const maxReasonLength = 1024

// awaitsApproval reports whether claim c waits for an approval decision: its template requires one, none has
// been made, its namespace was never made and it is not being deleted.
func awaitsApproval(c *naasv1alpha1.NamespaceClaim, tpl *naasv1alpha1.NamespaceTemplate) bool {
	if tpl == nil || !tpl.Spec.RequiresApproval || c.DeletionTimestamp != nil {
		return false
	}
	if meta.IsStatusConditionTrue(c.Status.Conditions, naasv1alpha1.ConditionNamespace) {
		return false
	}
	return c.Status.Approval == nil || c.Status.Approval.State == naasv1alpha1.ApprovalPending
}

func (s *Server) listApprovals(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := callerOf(r)
	claims, tenants, err := s.visibleClaims(ctx, u, r.URL.Query().Get("tenant"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	templates := map[string]*naasv1alpha1.NamespaceTemplate{}
	out := restv1.NamespaceList{Items: []restv1.Namespace{}}
	for i := range claims {
		c := &claims[i]
		tpl, seen := templates[c.Spec.Template]
		if !seen {
			if tpl, err = s.template(ctx, c.Spec.Template); err != nil {
				s.fail(w, r, err)
				return
			}
			templates[c.Spec.Template] = tpl
		}
		if awaitsApproval(c, tpl) && tenancy.Authorize(u, tenants[c.Spec.Tenant], tenancy.ActionApprove, c).Allowed {
			out.Items = append(out.Items, namespaceOf(c))
		}
	}
	s.writeJSON(w, http.StatusOK, out)
}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, naasv1alpha1.ApprovalApproved)
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request) {
	s.decide(w, r, naasv1alpha1.ApprovalRejected)
}

// decide records an approval decision on a claim. The status subresource is written as naas: tenant admins have
// no RBAC on claim status, and a decision is naas's to record once tenancy.Authorize allowed the caller to make
// it. Deciding again the same way changes nothing; a decision is never reversed.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, state naasv1alpha1.ApprovalState) {
	var req restv1.ApprovalDecision
	// An empty body is a decision without a reason: fine to approve, and a 422 naming the field to reject.
	if err := decodeJSON(r, s.cfg.MaxBodyBytes, &req, true); err != nil {
		s.fail(w, r, err)
		return
	}
	st := stateOf(r)
	st.detail("reason", req.Reason)
	c, _, ok := s.claimFor(w, r, tenancy.ActionApprove)
	if !ok {
		return
	}
	reason := field.NewPath("reason")
	switch {
	case state == naasv1alpha1.ApprovalRejected && req.Reason == "":
		s.fail(w, r, invalid(field.ErrorList{field.Required(reason, "say why the namespace is rejected; the requester sees it")}))
		return
	case len(req.Reason) > maxReasonLength:
		s.fail(w, r, invalid(field.ErrorList{field.TooLong(reason, "", maxReasonLength)}))
		return
	}
	u := callerOf(r)
	requester := ""
	if c.Spec.Requester != nil {
		requester = c.Spec.Requester.Username
	}
	if state == naasv1alpha1.ApprovalApproved && requester == u.Name && !tenancy.IsPlatformAdmin(u) {
		s.fail(w, r, forbidden("user %q requested namespace %q and cannot approve it too; ask another admin of tenant %q or a platform admin",
			u.Name, c.Name, c.Spec.Tenant))
		return
	}
	ctx := r.Context()
	tpl, err := s.template(ctx, c.Spec.Template)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if tpl == nil || !tpl.Spec.RequiresApproval {
		s.fail(w, r, conflict("namespace %q needs no approval: its template %q does not require one", c.Name, c.Spec.Template))
		return
	}

	var unchanged bool
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fresh := &naasv1alpha1.NamespaceClaim{}
		if err := s.cfg.Reader.Get(ctx, client.ObjectKeyFromObject(c), fresh); err != nil {
			return err
		}
		a := fresh.Status.Approval
		if a != nil && a.State != naasv1alpha1.ApprovalPending {
			if a.State == state {
				unchanged, c = true, fresh
				return nil
			}
			return conflict("namespace %q was already %s by %s at %s (%q); a decision is final: request a new namespace instead",
				fresh.Name, pastTense(a.State), a.By, formatTime(a.At), a.Reason)
		}
		if !awaitsApproval(fresh, tpl) {
			return conflict("namespace %q is not waiting for an approval (it is being deleted or was provisioned already)", fresh.Name)
		}
		if a == nil {
			// The controller marks a claim Pending on its first pass; a decision written before that could be
			// overwritten by that very pass.
			return retryLater("naas has not yet processed namespace %q; retry in a moment", fresh.Name)
		}
		now := metav1.NewTime(s.cfg.Now().UTC().Truncate(time.Second))
		decided := fresh.DeepCopy()
		decided.Status.Approval = &naasv1alpha1.Approval{State: state, By: u.Name, At: &now, Reason: req.Reason}
		// The optimistic lock keeps a concurrent status write (the controller marking the claim Pending) from
		// being overwritten, or from overwriting this decision.
		if err := s.cfg.AsNaas.Status().Patch(ctx, decided, client.MergeFromWithOptions(fresh, client.MergeFromWithOptimisticLock{})); err != nil {
			return err
		}
		c = decided
		return nil
	})
	switch {
	case apierrors.IsNotFound(err):
		s.fail(w, r, notFound("namespace %q not found", c.Name))
		return
	case err != nil:
		s.fail(w, r, fmt.Errorf("record the approval decision on namespace claim %s: %w", c.Name, err))
		return
	}
	if unchanged {
		st.reason = fmt.Sprintf("the namespace was already %s; nothing changed", pastTense(state))
	}
	s.writeJSON(w, http.StatusOK, namespaceOf(c))
}

func pastTense(s naasv1alpha1.ApprovalState) string {
	switch s {
	case naasv1alpha1.ApprovalApproved:
		return "approved"
	case naasv1alpha1.ApprovalRejected:
		return "rejected"
	default:
		return string(s)
	}
}

func formatTime(t *metav1.Time) string {
	if t == nil {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}
