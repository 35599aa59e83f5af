package api

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

func (p *platform) pending(t *testing.T, token string) []string {
	t.Helper()
	r := p.call(t, token, http.MethodGet, "/api/v1/approvals", nil)
	expect(t, r, http.StatusOK, "list approvals")
	var list struct{ Items []namespaceStatus }
	r.decode(t, &list)
	var names []string
	for _, n := range list.Items {
		names = append(names, n.Name)
	}
	return names
}

// waitPending waits until naas has marked the namespace as waiting for approval.
func (p *platform) waitPending(t *testing.T, token, name string) namespaceStatus {
	t.Helper()
	var ns namespaceStatus
	poll(t, 30*time.Second, name+" pending approval", func() error {
		ns = p.waitPhase(t, token, name, naasv1alpha1.PhasePending)
		if ns.Approval == nil || ns.Approval.State != "Pending" {
			return fmt.Errorf("approval %+v", ns.Approval)
		}
		return nil
	})
	return ns
}

func TestAPI_ApprovalFlow(t *testing.T) {
	ctx := context.Background()
	p := startPlatform(t, platformConfig{})
	gated := &naasv1alpha1.NamespaceTemplate{
		ObjectMeta: metav1.ObjectMeta{Name: "gated"},
		Spec:       naasv1alpha1.NamespaceTemplateSpec{DisplayName: "Gated", DefaultTier: "dev", RequiresApproval: true},
	}
	if err := env.Client.Create(ctx, gated); err != nil {
		t.Fatal(err)
	}
	createTenant(t, "appr", nil, user("alice", naasv1alpha1.RoleAdmin), user("bob", naasv1alpha1.RoleDeveloper),
		user("carol", naasv1alpha1.RoleViewer))
	approvePath := "/api/v1/approvals/appr-db/approve"
	rejectPath := "/api/v1/approvals/appr-db/reject"

	// The catalog says which templates need an approval.
	r := p.call(t, as("bob"), http.MethodGet, "/api/v1/catalog/templates/gated", nil)
	expect(t, r, http.StatusOK, "template gated")
	var tpl struct{ RequiresApproval bool }
	if r.decode(t, &tpl); !tpl.RequiresApproval {
		t.Errorf("template gated: requiresApproval false in %s", r)
	}

	// bob asks; the claim waits, and no namespace is made.
	r = p.call(t, as("bob"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "appr-db", "tenant": "appr", "template": "gated"})
	expect(t, r, http.StatusAccepted, "bob requests appr-db")
	ns := p.waitPending(t, as("bob"), "appr-db")
	if status, reason := ns.condition(naasv1alpha1.ConditionApproved); status != "False" || reason != naasv1alpha1.ReasonPendingApproval {
		t.Errorf("Approved = %s/%s, want False/PendingApproval", status, reason)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "appr-db"}, &corev1.Namespace{}); !apierrors.IsNotFound(err) {
		t.Fatalf("namespace appr-db before approval: %v, want NotFound", err)
	}

	// Who sees it waiting, and who may decide.
	if got := p.pending(t, as("alice")); !slices.Contains(got, "appr-db") {
		t.Errorf("alice's approvals = %v, want appr-db", got)
	}
	if got := p.pending(t, as("bob")); len(got) != 0 {
		t.Errorf("bob (developer) is asked to approve %v", got)
	}
	expect(t, p.call(t, as("bob"), http.MethodPost, approvePath, nil), http.StatusForbidden, "bob approves his own request")
	expect(t, p.call(t, as("carol"), http.MethodPost, approvePath, map[string]string{"reason": "lgtm"}), http.StatusForbidden, "carol (viewer) approves")
	r = p.call(t, as("alice"), http.MethodPost, rejectPath, nil)
	expect(t, r, http.StatusUnprocessableEntity, "reject without a reason")
	if prob := r.problem(t); len(prob.Errors) != 1 || prob.Errors[0].Field != "reason" {
		t.Errorf("errors = %+v, want field reason", prob.Errors)
	}

	// alice approves: who, when and why are recorded, and the namespace is made.
	before := time.Now().Add(-time.Second)
	r = p.call(t, as("alice"), http.MethodPost, approvePath, map[string]string{"reason": "capacity checked"})
	expect(t, r, http.StatusOK, "alice approves")
	r.decode(t, &ns)
	if a := ns.Approval; a == nil || a.State != "Approved" || a.By != "alice" || a.Reason != "capacity checked" ||
		a.At == nil || a.At.Before(before.Truncate(time.Second)) || a.At.After(time.Now()) {
		t.Errorf("approval = %+v, want Approved by alice, now, for \"capacity checked\"", a)
	}
	ns = p.waitPhase(t, as("bob"), "appr-db", naasv1alpha1.PhaseReady)
	if a := ns.Approval; a == nil || a.State != "Approved" || a.By != "alice" {
		t.Errorf("approval of the ready namespace = %+v, want Approved by alice, kept", a)
	}
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "appr-db"}, &corev1.Namespace{}); err != nil {
		t.Errorf("namespace appr-db after approval: %v", err)
	}
	expect(t, p.call(t, as("alice"), http.MethodPost, approvePath, nil), http.StatusOK, "approving again")
	r = p.call(t, as("alice"), http.MethodPost, rejectPath, map[string]string{"reason": "changed my mind"})
	expect(t, r, http.StatusConflict, "rejecting an approved namespace")
	r.problem(t)
	if got := p.pending(t, as("alice")); slices.Contains(got, "appr-db") {
		t.Errorf("appr-db still pending after approval: %v", got)
	}

	// A tenant admin cannot approve their own request; a platform admin rejects it, and it fails.
	r = p.call(t, as("alice"), http.MethodPost, "/api/v1/namespaces/request", map[string]any{"name": "appr-big", "tenant": "appr", "template": "gated"})
	expect(t, r, http.StatusAccepted, "alice requests appr-big")
	p.waitPending(t, as("alice"), "appr-big")
	r = p.call(t, as("alice"), http.MethodPost, "/api/v1/approvals/appr-big/approve", nil)
	expect(t, r, http.StatusForbidden, "alice approves her own request")
	r.problem(t)
	if got := p.pending(t, as("platform-admin")); !slices.Contains(got, "appr-big") {
		t.Errorf("platform admin's approvals = %v, want appr-big", got)
	}
	r = p.call(t, as("platform-admin"), http.MethodPost, "/api/v1/approvals/appr-big/reject", map[string]string{"reason": "no budget this quarter"})
	expect(t, r, http.StatusOK, "platform admin rejects")
	ns = p.waitPhase(t, as("alice"), "appr-big", naasv1alpha1.PhaseFailed)
	if status, reason := ns.condition(naasv1alpha1.ConditionApproved); status != "False" || reason != naasv1alpha1.ReasonRejected {
		t.Errorf("Approved = %s/%s, want False/Rejected", status, reason)
	}
	if a := ns.Approval; a == nil || a.State != "Rejected" || a.By != "platform-admin" || a.Reason != "no budget this quarter" {
		t.Errorf("approval = %+v, want Rejected by platform-admin with the reason", a)
	}

	// Approvals only apply to templates that require them.
	expect(t, p.call(t, as("alice"), http.MethodPost, "/api/v1/namespaces/request",
		map[string]any{"name": "appr-plain", "tenant": "appr", "template": "standard"}), http.StatusAccepted, "a plain namespace")
	expect(t, p.call(t, as("platform-admin"), http.MethodPost, "/api/v1/approvals/appr-plain/approve", nil), http.StatusConflict, "approving a plain namespace")

	// The decisions are in the audit log, with who and why.
	var decisions []string
	for _, e := range p.auditOf(t, as("alice"), url.Values{"tenant": {"appr"}}) {
		if e.Action == "approval.approve" || e.Action == "approval.reject" {
			decisions = append(decisions, fmt.Sprintf("%s %s %s %s %q", e.Namespace, e.Action, e.User, e.Result, e.Details["reason"]))
		}
	}
	slices.Reverse(decisions)
	want := []string{
		`appr-db approval.approve bob denied ""`,
		`appr-db approval.approve carol denied "lgtm"`,
		`appr-db approval.reject alice denied ""`,
		`appr-db approval.approve alice allowed "capacity checked"`,
		`appr-db approval.approve alice allowed ""`,
		`appr-db approval.reject alice denied "changed my mind"`,
		`appr-big approval.approve alice denied ""`,
		`appr-big approval.reject platform-admin allowed "no budget this quarter"`,
		`appr-plain approval.approve platform-admin denied ""`,
	}
	if !slices.Equal(want, decisions) {
		t.Errorf("approval decisions in the audit log:\n got %q\nwant %q", decisions, want)
	}
}
