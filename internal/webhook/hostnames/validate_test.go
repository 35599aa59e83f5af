package hostnames

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/domains"
	"github.com/naas-dev/naas/internal/tenancy"
)

// payments has admin alice and developer bob, and owns pay.example.com.
func payments() *naasv1alpha1.Tenant {
	return &naasv1alpha1.Tenant{
		ObjectMeta: metav1.ObjectMeta{Name: "payments"},
		Spec: naasv1alpha1.TenantSpec{
			Domains: []string{"pay.example.com"},
			Owners: []naasv1alpha1.Owner{
				{Kind: naasv1alpha1.SubjectUser, Name: "alice", Role: naasv1alpha1.RoleAdmin},
				{Kind: naasv1alpha1.SubjectUser, Name: "bob", Role: naasv1alpha1.RoleDeveloper},
			},
		},
	}
}

func claim(hosts ...string) *naasv1alpha1.NamespaceClaim {
	return &naasv1alpha1.NamespaceClaim{
		ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec:       naasv1alpha1.NamespaceClaimSpec{Tenant: "payments", Template: "web", Hostnames: hosts},
	}
}

func gatewayTemplate() *naasv1alpha1.NamespaceTemplate {
	return &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: naasv1alpha1.NamespaceTemplateSpec{Features: naasv1alpha1.Features{Gateway: true}}}
}

func withCollaborators(c *naasv1alpha1.NamespaceClaim, cs ...naasv1alpha1.Collaborator) *naasv1alpha1.NamespaceClaim {
	c.Spec.Collaborators = cs
	return c
}

func accepting(c *naasv1alpha1.NamespaceClaim, tenants ...string) *naasv1alpha1.NamespaceClaim {
	c.Spec.AcceptedCollaborations = tenants
	return c
}

func restrictedTemplate() *naasv1alpha1.NamespaceTemplate {
	return &naasv1alpha1.NamespaceTemplate{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: naasv1alpha1.NamespaceTemplateSpec{Features: naasv1alpha1.Features{NetworkProfile: naasv1alpha1.NetworkRestricted}}}
}

func create(user string, c *naasv1alpha1.NamespaceClaim) Request {
	return Request{Operation: admissionv1.Create, User: tenancy.User{Name: user}, Claim: c, Tenant: payments(),
		Tenants: []string{"billing", "payments"}}
}

func update(user string, old, c *naasv1alpha1.NamespaceClaim) Request {
	r := create(user, c)
	r.Operation, r.Old = admissionv1.Update, old
	return r
}

// origins are the rules behind a denial, "forbidden" for a Forbidden one.
func origins(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	if apierrors.IsForbidden(err) {
		return []string{"forbidden"}
	}
	var se apierrors.APIStatus
	if !errors.As(err, &se) || !apierrors.IsInvalid(err) {
		t.Fatalf("error %v is neither Forbidden nor Invalid", err)
	}
	var out []string
	for _, c := range se.Status().Details.Causes {
		out = append(out, c.Field)
	}
	return out
}

func TestValidate(t *testing.T) {
	viewer := naasv1alpha1.Collaborator{Tenant: "billing", Access: naasv1alpha1.CollaboratorViewer}
	tests := []struct {
		name        string
		req         Request
		wantFields  []string
		wantReserve []string
		wantWarn    bool
	}{
		{name: "owned hostnames are reserved", req: create("bob", claim("api.pay.example.com", "*.apps.pay.example.com")),
			wantReserve: []string{"*.apps.pay.example.com", "api.pay.example.com"}},
		{name: "a hostname under another domain is refused", req: create("bob", claim("api.evil.example.com")),
			wantFields: []string{"spec.hostnames[0]"}},
		{name: "without hostnames the default under the base domain is reserved", req: func() Request {
			r := create("bob", claim())
			r.Tenant.Spec.Domains, r.BaseDomain = nil, "apps.example.com"
			return r
		}(), wantReserve: []string{"api.payments.apps.example.com"}},
		{name: "a gateway template needs hostnames", req: func() Request {
			r := create("bob", claim())
			r.Tenant.Spec.Domains, r.Template = nil, gatewayTemplate()
			return r
		}(), wantFields: []string{"spec.hostnames"}},
		{name: "an update that keeps the hostnames reserves nothing", req: update("bob", claim("api.pay.example.com"), claim("api.pay.example.com"))},
		{name: "an update that adds one reserves them all", req: update("bob", claim("api.pay.example.com"), claim("api.pay.example.com", "www.pay.example.com")),
			wantReserve: []string{"api.pay.example.com", "www.pay.example.com"}},
		{name: "an update is not held to hostnames it does not change", req: func() Request {
			old := claim("api.old.example.com")
			c := claim("api.old.example.com")
			c.Spec.DeletionProtection = true
			return update("bob", old, c)
		}()},
		{name: "a tenant admin adds a collaborator", req: update("alice", claim(), withCollaborators(claim(), viewer))},
		{name: "a developer may not add a collaborator", req: update("bob", claim(), withCollaborators(claim(), viewer)),
			wantFields: []string{"forbidden"}},
		{name: "a developer may not create a claim with collaborators", req: create("bob", withCollaborators(claim(), viewer)),
			wantFields: []string{"forbidden"}},
		{name: "a developer may change other things of a claim with collaborators",
			req: update("bob", withCollaborators(claim(), viewer), func() *naasv1alpha1.NamespaceClaim {
				c := withCollaborators(claim(), viewer)
				c.Spec.Tier = "prod"
				return c
			}())},
		{name: "the collaborator must exist and not be the tenant itself",
			req: update("alice", claim(), withCollaborators(claim(),
				naasv1alpha1.Collaborator{Tenant: "ghost", Access: naasv1alpha1.CollaboratorViewer},
				naasv1alpha1.Collaborator{Tenant: "payments", Access: naasv1alpha1.CollaboratorViewer})),
			wantFields: []string{"spec.collaborators[0].tenant", "spec.collaborators[1].tenant"}},
		{name: "a tenant admin accepts a collaboration", req: update("alice", claim(), accepting(claim(), "billing"))},
		{name: "a developer may not accept a collaboration", req: update("bob", claim(), accepting(claim(), "billing")),
			wantFields: []string{"forbidden"}},
		{name: "a developer may not create a claim accepting a collaboration", req: create("bob", accepting(claim(), "billing")),
			wantFields: []string{"forbidden"}},
		{name: "a user of another tenant may not accept for this one", req: update("carol", claim(), accepting(claim(), "billing")),
			wantFields: []string{"forbidden"}},
		{name: "a developer may not withdraw an acceptance either", req: update("bob", accepting(claim(), "billing"), claim()),
			wantFields: []string{"forbidden"}},
		{name: "a developer may change other things of a claim that accepts",
			req: update("bob", accepting(claim(), "billing"), func() *naasv1alpha1.NamespaceClaim {
				c := accepting(claim(), "billing")
				c.Spec.Tier = "prod"
				return c
			}())},
		{name: "the accepted tenant must exist and not be the tenant itself",
			req:        update("alice", claim(), accepting(claim(), "ghost", "payments")),
			wantFields: []string{"spec.acceptedCollaborations[0]", "spec.acceptedCollaborations[1]"}},
		{name: "a restricted template accepts no collaboration", req: func() Request {
			r := update("alice", claim(), accepting(claim(), "billing"))
			r.Template = restrictedTemplate()
			return r
		}(), wantFields: []string{"spec.acceptedCollaborations"}},
		{name: "a restricted template may withdraw its acceptances", req: func() Request {
			r := update("alice", accepting(claim(), "billing"), claim())
			r.Template = restrictedTemplate()
			return r
		}()},
		{name: "a privileged user is warned instead", req: func() Request {
			r := create("naas", claim("api.evil.example.com"))
			r.Privileged = true
			return r
		}(), wantReserve: []string{"api.evil.example.com"}, wantWarn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Validate(tt.req)
			if diff := cmp.Diff(tt.wantFields, origins(t, res.Err)); diff != "" {
				t.Errorf("denied fields (-want +got):\n%s\n%v", diff, res.Err)
			}
			if res.Err == nil {
				if diff := cmp.Diff(tt.wantReserve, res.Reserve); diff != "" {
					t.Errorf("reserve (-want +got):\n%s", diff)
				}
			}
			if got := len(res.Warnings) > 0; got != tt.wantWarn {
				t.Errorf("warnings %v, want some: %v", res.Warnings, tt.wantWarn)
			}
		})
	}
}

func TestValidate_DeveloperIsToldOnlyAdminsManageCollaborators(t *testing.T) {
	res := Validate(update("bob", claim(), withCollaborators(claim(), naasv1alpha1.Collaborator{Tenant: "billing", Access: naasv1alpha1.CollaboratorViewer})))
	if res.Err == nil || !strings.Contains(res.Err.Error(), `only admins of tenant "payments"`) || !strings.Contains(res.Err.Error(), "admin role") {
		t.Errorf("error = %v, want one saying only tenant admins manage collaborators", res.Err)
	}
}

func TestConflictError_NamesTheHolderAndTheOverlap(t *testing.T) {
	c := claim("api.pay.example.com", "*.apps.pay.example.com")
	err := ConflictError(c, []domains.Conflict{
		{Hostname: "*.apps.pay.example.com", Held: "x.apps.pay.example.com", Namespace: "web"},
		{Hostname: "api.pay.example.com", Held: "api.pay.example.com", Namespace: "other"},
	})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("error %v is not Invalid", err)
	}
	for _, want := range []string{
		`spec.hostnames[1]: Invalid value: "*.apps.pay.example.com": overlaps x.apps.pay.example.com, held by namespace web`,
		`spec.hostnames[0]: Invalid value: "api.pay.example.com": is held by namespace other`,
		"choose another hostname",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if ConflictError(c, nil) != nil {
		t.Error("no conflicts must give no error")
	}
}

func TestValidate_DeveloperIsToldOnlyAdminsAcceptCollaborations(t *testing.T) {
	res := Validate(update("bob", claim(), accepting(claim(), "billing")))
	if res.Err == nil || !strings.Contains(res.Err.Error(), `only admins of tenant "payments" may accept collaborations`) || !strings.Contains(res.Err.Error(), "admin role") {
		t.Errorf("error = %v, want one saying only tenant admins accept collaborations", res.Err)
	}
}
