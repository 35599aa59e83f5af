package namespaceclaim

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/bundle"
	"github.com/naas-dev/naas/internal/cacheindex"
	"github.com/naas-dev/naas/internal/cluster"
)

// The phases' decisions, one table each. Reads go to a fake client only where the API server decides nothing
// (a get by name, a list by index); what the API server decides (applying, deleting, admission) is tested on
// the real control plane in test/integration/provisioning.

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, naasv1alpha1.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// catalog is a fake client holding objs, with the cache's field indexes.
func catalog(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...)
	if err := cacheindex.SetupClaimIndexes(context.Background(), builderIndexer{b}); err != nil {
		t.Fatal(err)
	}
	return b.Build()
}

// builderIndexer registers the indexes with a fake client builder.
type builderIndexer struct{ b *fake.ClientBuilder }

func (i builderIndexer) IndexField(_ context.Context, obj client.Object, field string, extract client.IndexerFunc) error {
	i.b.WithIndex(obj, field, extract)
	return nil
}

func tenantObj(name string, owners ...naasv1alpha1.Owner) *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.TenantSpec{Owners: owners}}
}

func admin(user string) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: user, Role: naasv1alpha1.RoleAdmin}
}

func viewer(user string) naasv1alpha1.Owner {
	return naasv1alpha1.Owner{Kind: naasv1alpha1.SubjectUser, Name: user, Role: naasv1alpha1.RoleViewer}
}

func templateObj(name string, mods ...func(*naasv1alpha1.NamespaceTemplate)) *naasv1alpha1.NamespaceTemplate {
	t := &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: naasv1alpha1.NamespaceTemplateSpec{DefaultTier: "dev"}}
	for _, m := range mods {
		m(t)
	}
	return t
}

func tierObj(name string) *naasv1alpha1.Tier {
	return &naasv1alpha1.Tier{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func claimObj(name, tenant, template string, mods ...func(*naasv1alpha1.NamespaceClaim)) *naasv1alpha1.NamespaceClaim {
	c := &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Generation: 1},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: tenant, Template: template},
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

func requestedBy(user string) func(*naasv1alpha1.NamespaceClaim) {
	return func(c *naasv1alpha1.NamespaceClaim) { c.Spec.Requester = &naasv1alpha1.Requester{Username: user} }
}

func withCondition(typ string, status metav1.ConditionStatus, reason string) func(*naasv1alpha1.NamespaceClaim) {
	return func(c *naasv1alpha1.NamespaceClaim) {
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: "before"})
	}
}

// outcomeOf is a result's condition, outcome and reason, what the tables compare (messages are checked apart).
type outcomeOf struct {
	Condition string
	Outcome   outcome
	Reason    string
}

func outcomes(rs []result) []outcomeOf {
	var out []outcomeOf
	for _, r := range rs {
		out = append(out, outcomeOf{r.condition, r.outcome, r.reason})
	}
	return out
}

func TestResolve_UnknownInputsStallNamingWhatExists(t *testing.T) {
	objs := []client.Object{tenantObj("shop", admin("alice")), templateObj("web"), tierObj("dev")}
	tests := []struct {
		name    string
		claim   *naasv1alpha1.NamespaceClaim
		objs    []client.Object
		want    []outcomeOf
		wantMsg string
	}{
		{
			name:  "tenant, template and tier exist",
			claim: claimObj("shop-a", "shop", "web"),
			objs:  objs,
			want:  []outcomeOf{{naasv1alpha1.ConditionValid, done, naasv1alpha1.ReasonReconciled}},
		},
		{
			name:    "unknown tenant lists the tenants",
			claim:   claimObj("shop-a", "nope", "web"),
			objs:    objs,
			want:    []outcomeOf{{naasv1alpha1.ConditionValid, stalled, naasv1alpha1.ReasonUnknownTenant}},
			wantMsg: "existing tenants: shop",
		},
		{
			name:    "unknown template lists the templates",
			claim:   claimObj("shop-a", "shop", "nope"),
			objs:    objs,
			want:    []outcomeOf{{naasv1alpha1.ConditionValid, stalled, naasv1alpha1.ReasonUnknownTemplate}},
			wantMsg: "existing templates: web",
		},
		{
			name:    "no tier yet says whom to ask",
			claim:   claimObj("shop-a", "shop", "web"),
			objs:    objs[:2],
			want:    []outcomeOf{{naasv1alpha1.ConditionValid, stalled, naasv1alpha1.ReasonUnknownTier}},
			wantMsg: "there are no tiers yet: ask a platform admin",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Reconciler{Client: catalog(t, tt.objs...)}
			s := &scope{claim: tt.claim}
			got, err := r.resolve(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(got)); diff != "" {
				t.Errorf("resolve (-want +got):\n%s", diff)
			}
			if !strings.Contains(got[0].message, tt.wantMsg) {
				t.Errorf("message %q does not say %q", got[0].message, tt.wantMsg)
			}
			if got[0].outcome == done && (s.tenant == nil || s.template == nil || s.tier == nil || s.claim.Status.Tier != "dev") {
				t.Errorf("a valid claim's scope lacks its inputs: tenant %v, template %v, tier %v, status.tier %q",
					s.tenant, s.template, s.tier, s.claim.Status.Tier)
			}
		})
	}
}

func TestAuthorize_OnlyBeforeTheNamespaceExists(t *testing.T) {
	shop := tenantObj("shop", admin("alice"), viewer("victor"))
	tests := []struct {
		name  string
		claim *naasv1alpha1.NamespaceClaim
		want  []outcomeOf
	}{
		{name: "an admin may", claim: claimObj("shop-a", "shop", "web", requestedBy("alice"))},
		{name: "no requester (made before admission stamped one)", claim: claimObj("shop-a", "shop", "web")},
		{
			name:  "a viewer may not",
			claim: claimObj("shop-a", "shop", "web", requestedBy("victor")),
			want:  []outcomeOf{{naasv1alpha1.ConditionValid, stalled, naasv1alpha1.ReasonForbidden}},
		},
		{
			name:  "a user in no tenant may not",
			claim: claimObj("shop-a", "shop", "web", requestedBy("mallory")),
			want:  []outcomeOf{{naasv1alpha1.ConditionValid, stalled, naasv1alpha1.ReasonForbidden}},
		},
		{
			name: "a namespace already made is not taken away when its requester leaves",
			claim: claimObj("shop-a", "shop", "web", requestedBy("mallory"),
				withCondition(naasv1alpha1.ConditionNamespace, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (&Reconciler{}).authorize(context.Background(), &scope{claim: tt.claim, tenant: shop})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(got)); diff != "" {
				t.Errorf("authorize (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApprove_HoldsUntilDecided(t *testing.T) {
	approval := templateObj("db", func(t *naasv1alpha1.NamespaceTemplate) { t.Spec.RequiresApproval = true })
	decided := func(state naasv1alpha1.ApprovalState) func(*naasv1alpha1.NamespaceClaim) {
		return func(c *naasv1alpha1.NamespaceClaim) {
			c.Status.Approval = &naasv1alpha1.Approval{State: state, By: "alice", Reason: "ok"}
		}
	}
	tests := []struct {
		name     string
		template *naasv1alpha1.NamespaceTemplate
		claim    *naasv1alpha1.NamespaceClaim
		want     []outcomeOf
	}{
		{
			name: "no approval needed: no condition", template: templateObj("web"), claim: claimObj("a", "shop", "web"),
			want: []outcomeOf{{naasv1alpha1.ConditionApproved, off, ""}},
		},
		{
			name: "waiting for a decision", template: approval, claim: claimObj("a", "shop", "db"),
			want: []outcomeOf{{naasv1alpha1.ConditionApproved, held, naasv1alpha1.ReasonPendingApproval}},
		},
		{
			name: "approved", template: approval, claim: claimObj("a", "shop", "db", decided(naasv1alpha1.ApprovalApproved)),
			want: []outcomeOf{{naasv1alpha1.ConditionApproved, done, naasv1alpha1.ReasonReconciled}},
		},
		{
			name: "rejected", template: approval, claim: claimObj("a", "shop", "db", decided(naasv1alpha1.ApprovalRejected)),
			want: []outcomeOf{{naasv1alpha1.ConditionApproved, stalled, naasv1alpha1.ReasonRejected}},
		},
		{
			name: "a namespace made before the template required approval keeps going", template: approval,
			claim: claimObj("a", "shop", "db", withCondition(naasv1alpha1.ConditionNamespace, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)),
			want:  []outcomeOf{{naasv1alpha1.ConditionApproved, off, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scope{claim: tt.claim, template: tt.template}
			got, err := (&Reconciler{}).approve(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, outcomes(got)); diff != "" {
				t.Errorf("approve (-want +got):\n%s", diff)
			}
			if tt.template.Spec.RequiresApproval && got[0].outcome == held && s.claim.Status.Approval.State != naasv1alpha1.ApprovalPending {
				t.Errorf("a claim held for approval shows approval %+v, want Pending", s.claim.Status.Approval)
			}
		})
	}
}

func TestOwnership_NeverAdoptsAndWaitsForADeletion(t *testing.T) {
	c := claimObj("shop-a", "shop", "web")
	nsWith := func(labels map[string]string, deleting bool) *metav1.PartialObjectMetadata {
		ns := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "shop-a", Labels: labels}}
		if deleting {
			now := metav1.Now()
			ns.DeletionTimestamp = &now
		}
		return ns
	}
	ours := map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelClaim: "shop-a", naasv1alpha1.LabelTenant: "shop"}
	otherTenants := map[string]string{naasv1alpha1.LabelManagedBy: naasv1alpha1.ManagedByValue, naasv1alpha1.LabelClaim: "shop-a", naasv1alpha1.LabelTenant: "rival"}
	tests := []struct {
		name string
		ns   *metav1.PartialObjectMetadata
		want []outcomeOf
	}{
		{name: "ours", ns: nsWith(ours, false)},
		{name: "made by someone else", ns: nsWith(map[string]string{"team": "x"}, false),
			want: []outcomeOf{{naasv1alpha1.ConditionNamespace, stalled, naasv1alpha1.ReasonNamespaceConflict}}},
		{name: "labelled for another tenant", ns: nsWith(otherTenants, false),
			want: []outcomeOf{{naasv1alpha1.ConditionNamespace, stalled, naasv1alpha1.ReasonNamespaceConflict}}},
		{name: "ours, being deleted", ns: nsWith(ours, true),
			want: []outcomeOf{{naasv1alpha1.ConditionNamespace, waiting, naasv1alpha1.ReasonWaiting}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ownership(c, tt.ns)
			if diff := cmp.Diff(tt.want, outcomes(got)); diff != "" {
				t.Errorf("ownership (-want +got):\n%s", diff)
			}
			if len(got) > 0 && got[0].outcome == waiting && got[0].requeueAfter == 0 {
				t.Error("a namespace being deleted asks for no requeue")
			}
		})
	}
}

func TestBuildFailed_ATemplateErrorNamesTheTemplate(t *testing.T) {
	c := claimObj("shop-a", "shop", "web")
	got := buildFailed(c, &bundle.TemplateError{Manifest: "deploy", Err: errors.New("bad")})
	if got.outcome != stalled || got.reason != naasv1alpha1.ReasonTemplateError || !strings.Contains(got.message, `fix template "web"`) {
		t.Errorf("template error: %+v", got)
	}
	got = buildFailed(c, errors.New("no tier"))
	if got.outcome != stalled || got.reason != naasv1alpha1.ReasonFailed {
		t.Errorf("other error: %+v", got)
	}
}

func TestDoStep_OutcomesThatNeedNoWrite(t *testing.T) {
	gatewayKind := schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}
	r := &Reconciler{Kinds: NewServedKinds(newDiscovery(resources("v1", "ConfigMap")))}
	s := &scope{claim: claimObj("shop-a", "shop", "web"), target: &cluster.Target{Name: "local", Client: catalog(t)}}
	tests := []struct {
		name    string
		step    bundle.Step
		waiting []string
		want    outcomeOf
		wantMsg string
	}{
		{name: "off", step: bundle.Step{Name: naasv1alpha1.ConditionGateway, Off: true},
			want: outcomeOf{naasv1alpha1.ConditionGateway, off, ""}},
		{name: "kinds not served", step: bundle.Step{Name: naasv1alpha1.ConditionGateway, Requires: []schema.GroupVersionKind{gatewayKind}, Install: "the Gateway API"},
			want: outcomeOf{naasv1alpha1.ConditionGateway, skipped, naasv1alpha1.ReasonNotApplicable}, wantMsg: "install the Gateway API"},
		{name: "cannot be done as the claim stands", step: bundle.Step{Name: naasv1alpha1.ConditionGateway, Err: errors.New("no hostnames")},
			want: outcomeOf{naasv1alpha1.ConditionGateway, stalled, naasv1alpha1.ReasonFailed}, wantMsg: "no hostnames"},
		{name: "a dependency not ready", step: bundle.Step{Name: naasv1alpha1.ConditionQuota}, waiting: []string{naasv1alpha1.ConditionNamespace},
			want: outcomeOf{naasv1alpha1.ConditionQuota, waiting, naasv1alpha1.ReasonWaiting}, wantMsg: "waiting for NamespaceReady"},
		{name: "nothing to create", step: bundle.Step{Name: naasv1alpha1.ConditionLimitRange},
			want: outcomeOf{naasv1alpha1.ConditionLimitRange, done, naasv1alpha1.ReasonReconciled}, wantMsg: "nothing to create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := r.doStep(context.Background(), s, tt.step, tt.waiting)
			if o.err != nil {
				t.Fatal(o.err)
			}
			if diff := cmp.Diff(tt.want, outcomes([]result{o.result})[0]); diff != "" {
				t.Errorf("doStep (-want +got):\n%s", diff)
			}
			if !strings.Contains(o.result.message, tt.wantMsg) {
				t.Errorf("message %q does not say %q", o.result.message, tt.wantMsg)
			}
		})
	}
}

func TestReport_SetsAndRemovesConditions(t *testing.T) {
	s := &scope{claim: claimObj("a", "shop", "web", withCondition(naasv1alpha1.ConditionApproved, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled))}
	s.report(result{}, resultDone(naasv1alpha1.ConditionValid, "valid"), result{condition: naasv1alpha1.ConditionApproved, outcome: off},
		resultStalled(naasv1alpha1.ConditionNamespace, naasv1alpha1.ReasonNamespaceConflict, "not ours"))
	var got []string
	for _, c := range s.claim.Status.Conditions {
		got = append(got, c.Type+"="+string(c.Status)+"/"+c.Reason)
	}
	want := []string{"Valid=True/Reconciled", "NamespaceReady=False/NamespaceNotOwned"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	if len(s.results) != 3 {
		t.Errorf("results kept = %d, want 3 (the empty one is not)", len(s.results))
	}
}

func TestRecordEvents_TransitionsOnly(t *testing.T) {
	ready := func(status metav1.ConditionStatus) func(*naasv1alpha1.NamespaceClaim) {
		return withCondition(naasv1alpha1.ConditionReady, status, naasv1alpha1.ReasonReconciled)
	}
	tests := []struct {
		name    string
		before  *naasv1alpha1.NamespaceClaim
		results []result
		want    []string
	}{
		{
			name:   "first provisioning: one Ready event naming the steps",
			before: claimObj("a", "shop", "web"),
			results: []result{resultDone(naasv1alpha1.ConditionValid, "valid"), resultDone(naasv1alpha1.ConditionNamespace, "ns"),
				resultDone(naasv1alpha1.ConditionQuota, "quota")},
			want: []string{`Normal Ready namespace "a" is ready; done: NamespaceReady, QuotaReady`},
		},
		{
			name: "an idle pass records nothing",
			before: claimObj("a", "shop", "web", ready(metav1.ConditionTrue),
				withCondition(naasv1alpha1.ConditionNamespace, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)),
			results: []result{resultDone(naasv1alpha1.ConditionNamespace, "ns")},
		},
		{
			name: "a step that fails is a warning",
			before: claimObj("a", "shop", "web", ready(metav1.ConditionTrue),
				withCondition(naasv1alpha1.ConditionQuota, metav1.ConditionTrue, naasv1alpha1.ReasonReconciled)),
			results: []result{resultWaiting(naasv1alpha1.ConditionQuota, naasv1alpha1.ReasonApplyFailed, "conflict")},
			want:    []string{"Warning ApplyFailed QuotaReady: conflict"},
		},
		{
			name: "a step that recovers is told, and Ready again",
			before: claimObj("a", "shop", "web", ready(metav1.ConditionFalse),
				withCondition(naasv1alpha1.ConditionQuota, metav1.ConditionFalse, naasv1alpha1.ReasonApplyFailed)),
			results: []result{resultDone(naasv1alpha1.ConditionQuota, "ResourceQuota/naas in place")},
			want: []string{"Normal QuotaReady ResourceQuota/naas in place",
				`Normal Ready namespace "a" is ready; done: QuotaReady`},
		},
		{
			name:    "a claim that stalls is a warning saying why",
			before:  claimObj("a", "nope", "web"),
			results: []result{resultStalled(naasv1alpha1.ConditionValid, naasv1alpha1.ReasonUnknownTenant, `tenant "nope" not found`)},
			want:    []string{`Warning UnknownTenant Valid: tenant "nope" not found`},
		},
		{
			name:    "held for approval is normal",
			before:  claimObj("a", "shop", "db"),
			results: []result{{condition: naasv1alpha1.ConditionApproved, outcome: held, reason: naasv1alpha1.ReasonPendingApproval, message: "waiting"}},
			want:    []string{"Normal PendingApproval Approved: waiting"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := events.NewFakeRecorder(10)
			r := &Reconciler{Events: rec}
			s := &scope{claim: tt.before.DeepCopy(), original: tt.before.DeepCopy()}
			s.report(tt.results...)
			setReady(s.claim, summarize(s.claim.Name, s.results))
			r.recordEvents(s)
			close(rec.Events)
			var got []string
			for e := range rec.Events {
				got = append(got, e)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}
