package monitoring

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// sampleNamespace is the namespace the tests build objects for; testdata/namespace-alerts.test.yaml expects
// exactly these values.
func sampleNamespace() Namespace {
	return Namespace{
		Name:      "shop",
		Tenant:    "acme",
		Template:  "web-app",
		PortalURL: "https://naas.example.com",
		Quota: corev1.ResourceList{
			"limits.cpu":    resource.MustParse("2"),
			"limits.memory": resource.MustParse("4Gi"),
			"pods":          resource.MustParse("20"),
		},
	}
}
