package rolebinding

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cacheindex"
)

// store records events, or fails every record with err.
type store struct {
	events []audit.Event
	err    error
}

func (s *store) Record(_ context.Context, e audit.Event) error {
	if s.err != nil {
		return s.err
	}
	s.events = append(s.events, e)
	return nil
}

func (s *store) Intend(context.Context, audit.Event) (int64, error) {
	return 0, errors.New("the RoleBinding webhook records decisions, not intents")
}

func (s *store) Finish(context.Context, int64, audit.Event) error {
	return errors.New("the RoleBinding webhook records decisions, not intents")
}

func (s *store) Query(context.Context, audit.Query) (audit.Page, error) { return audit.Page{}, nil }
func (s *store) Close() error                                           { return nil }

func validator(t *testing.T, s audit.Store) *Validator {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := naasv1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(
			&naasv1alpha1.Tenant{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: naasv1alpha1.TenantSpec{Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper},
			}}},
			&naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "acme-web"}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "acme"}},
			&naasv1alpha1.NamespaceClaim{ObjectMeta: metav1.ObjectMeta{Name: "acme-api"}, Spec: naasv1alpha1.NamespaceClaimSpec{Tenant: "acme"}},
		).
		WithIndex(&naasv1alpha1.NamespaceClaim{}, cacheindex.ClaimTenant, func(o client.Object) []string {
			return []string{o.(*naasv1alpha1.NamespaceClaim).Spec.Tenant}
		}).
		Build()
	return &Validator{Client: c, Decoder: admission.NewDecoder(runtime.NewScheme()), Audit: func() audit.Store { return s }}
}

func request(t *testing.T, op admissionv1.Operation, user string, dryRun bool, subjects ...rbacv1.Subject) admission.Request {
	t.Helper()
	raw, err := json.Marshal(&rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "acme-web", Name: "grant"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   subjects,
	})
	if err != nil {
		t.Fatal(err)
	}
	return admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		UID: "req-1", Operation: op, Namespace: "acme-web", Name: "grant", DryRun: ptr.To(dryRun),
		UserInfo: authenticationv1.UserInfo{Username: user, Groups: []string{"team-" + user, "system:authenticated"}},
		Object:   runtime.RawExtension{Raw: raw},
	}}
}

var (
	alice = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "alice"}
	apiSA = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: "acme-api", Name: "deployer"}
	dave  = rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "dave"}
)

func TestValidator_RecordsEveryBindingUnderItsTenant(t *testing.T) {
	s := &store{}
	v := validator(t, s)
	if r := v.Handle(context.Background(), request(t, admissionv1.Create, "bob", false, alice, apiSA)); !r.Allowed {
		t.Fatalf("bob binds alice and acme-api's deployer: denied: %v", r.Result)
	}
	if r := v.Handle(context.Background(), request(t, admissionv1.Update, "bob", false, alice, dave)); r.Allowed {
		t.Fatalf("bob adds dave: allowed")
	}
	want := []audit.Event{
		{RequestID: "req-1", User: "bob", Groups: []string{"team-bob", "system:authenticated"}, Action: ActionCreate, Tenant: "acme",
			Namespace: "acme-web", Target: "rolebinding/grant", Result: audit.ResultAllowed,
			Details: map[string]string{"role": "ClusterRole/edit", "subjects": "User alice, ServiceAccount acme-api/deployer"}},
		{RequestID: "req-1", User: "bob", Groups: []string{"team-bob", "system:authenticated"}, Action: ActionUpdate, Tenant: "acme",
			Namespace: "acme-web", Target: "rolebinding/grant", Result: audit.ResultDenied,
			Details: map[string]string{"role": "ClusterRole/edit", "subjects": "User alice, User dave"}},
	}
	if diff := cmp.Diff(want, s.events,
		cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Reason" }, cmp.Ignore())); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
	if len(s.events) == 2 && s.events[1].Reason == "" {
		t.Errorf("the denial is recorded without its reason")
	}
}

func TestValidator_DryRunIsDecidedNotRecorded(t *testing.T) {
	s := &store{}
	v := validator(t, s)
	if r := v.Handle(context.Background(), request(t, admissionv1.Create, "bob", true, dave)); r.Allowed {
		t.Errorf("dry run binding dave: allowed")
	}
	if len(s.events) != 0 {
		t.Errorf("a dry run was recorded: %+v", s.events)
	}
}

func TestValidator_BindingThatCannotBeAuditedIsNotMade(t *testing.T) {
	v := validator(t, &store{err: errors.New("disk full")})
	r := v.Handle(context.Background(), request(t, admissionv1.Create, "alice", false, alice))
	if r.Allowed {
		t.Fatalf("a binding naas could not audit was allowed")
	}
	if r.Result == nil || r.Result.Code != 503 {
		t.Errorf("refusal %+v, want 503 saying to try again", r.Result)
	}
}
