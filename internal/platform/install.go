package platform

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/apply"
)

// Objects returns every cluster-wide object naas installs on a target cluster.
func Objects(cfg Config) []runtime.Object {
	var objs []runtime.Object
	for _, cr := range ClusterRoles() {
		objs = append(objs, cr)
	}
	objs = append(objs, RequesterBinding(), AdminRole(), AdminBinding())
	objs = append(objs, Policies(cfg)...)
	objs = append(objs, networkingObjects(cfg)...)
	objs = append(objs, WorkloadPolicies(cfg)...)
	objs = append(objs, FairnessObjects(cfg)...)
	if cfg.MutatingPolicies {
		objs = append(objs, TierPullAlwaysPolicy())
	}
	return objs
}

// Install applies the cluster-wide objects to the management cluster (Objects, and the policies on naas's kinds
// that live there only, such as ClusterRemovalPolicy), writing only what differs from what is there. Member
// clusters get theirs from the Cluster controller (MemberObjects).
func Install(ctx context.Context, c client.Client, cfg Config) error {
	var errs []error
	for _, obj := range append(Objects(cfg), ClusterRemovalPolicy()...) {
		u, err := Desired(obj)
		if err != nil {
			return err
		}
		if _, err := apply.Apply(ctx, c, c, u); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("install cluster-wide naas objects: %w", err)
	}
	return nil
}

// Desired is what naas applies of obj. An aggregated ClusterRole's rules belong to kube-controller-manager's
// aggregation controller, which fills them in: naas applies only the aggregation rule. Applying the empty rules
// as well took the rules over at every start, emptying the tenant roles until the controller filled them in
// again, and was a write at every start.
func Desired(obj runtime.Object) (*unstructured.Unstructured, error) {
	u, err := apply.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	if _, aggregated, _ := unstructured.NestedMap(u.Object, "aggregationRule"); aggregated {
		unstructured.RemoveNestedField(u.Object, "rules")
	}
	return u, nil
}
