package setup

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"

	"github.com/naas-dev/naas/internal/apply"
)

// ServesMutatingPolicies reports whether the API server serves admissionregistration.k8s.io/v1
// MutatingAdmissionPolicy (Kubernetes 1.36 and later, unless its feature gate is turned off). Earlier versions
// (v1alpha1, v1beta1) are not used: they are off by default, and their types differ.
func ServesMutatingPolicies(cfg *rest.Config) (bool, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return false, err
	}
	resources, err := dc.ServerResourcesForGroupVersion(admissionregistrationv1.SchemeGroupVersion.String())
	if err != nil {
		return false, fmt.Errorf("discover the admission kinds the API server serves: %w", err)
	}
	for _, r := range resources.APIResources {
		if r.Name == "mutatingadmissionpolicies" {
			return true, nil
		}
	}
	return false, nil
}

// InstallCRDs applies the CRDs in fsys (every *.yaml under dir; with only, those of these names) and waits until
// the API server serves them.
func InstallCRDs(ctx context.Context, c client.Client, fsys fs.FS, dir string, only ...string) error {
	all, err := readYAMLDir(fsys, dir)
	if err != nil {
		return err
	}
	objs := all
	if len(only) > 0 {
		objs = nil
		for _, o := range all {
			if slices.Contains(only, o.GetName()) {
				objs = append(objs, o)
			}
		}
	}
	for _, o := range objs {
		if _, err := apply.Apply(ctx, c, c, o); err != nil {
			return fmt.Errorf("install CRD: %w", err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		for _, o := range objs {
			crd := &apiextensionsv1.CustomResourceDefinition{}
			if err := c.Get(ctx, client.ObjectKey{Name: o.GetName()}, crd); err != nil {
				return false, nil //nolint:nilerr // not there yet: poll again
			}
			established := false
			for _, cond := range crd.Status.Conditions {
				if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
					established = true
				}
			}
			if !established {
				return false, nil
			}
		}
		return true, nil
	})
}

// SeedDefaults creates the objects in fsys that do not exist yet. Existing objects
// are left alone: a platform admin's edits to the default catalog win. Each object is
// read first, so that a start against a cluster that has the catalog makes no write,
// not even one the API server refuses. The manager's cache is not running yet at this
// point of a start: the reads go to the API server, as metadata only.
func SeedDefaults(ctx context.Context, c client.Client, fsys fs.FS, dir string) (created int, err error) {
	objs, err := readYAMLDir(fsys, dir)
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		made, err := createIfMissing(ctx, c, o)
		if err != nil {
			return created, fmt.Errorf("seed the default %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		if made {
			created++
		}
	}
	return created, nil
}

// createIfMissing creates obj unless the cluster already has an object of its kind and name, and reports whether it
// created it. What exists is left as it is. Another replica creating the object between the read and the
// create (AlreadyExists) counts as there: the object is in place, which is all a start needs. obj is not
// modified.
func createIfMissing(ctx context.Context, c client.Client, obj client.Object) (bool, error) {
	gvk, err := apiutil.GVKForObject(obj, c.Scheme())
	if err != nil {
		return false, err
	}
	found, err := existing(ctx, c, gvk, client.ObjectKeyFromObject(obj))
	if err != nil || found != nil {
		return false, err
	}
	return create(ctx, c, obj)
}

// create creates a copy of obj under naas's field owner; an object that exists already (AlreadyExists, another
// replica was quicker) is not an error, and reports false.
func create(ctx context.Context, c client.Client, obj client.Object) (bool, error) {
	if err := c.Create(ctx, obj.DeepCopyObject().(client.Object), client.FieldOwner(apply.FieldOwner)); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, fmt.Errorf("create: %w", err)
	}
	return true, nil
}

// existing reads the metadata of the object of kind gvk named key from live, or returns nil if there is none:
// whether it is there, and whether it is being deleted, is all a start asks.
func existing(ctx context.Context, live client.Reader, gvk schema.GroupVersionKind, key client.ObjectKey) (*metav1.PartialObjectMetadata, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(gvk)
	err := live.Get(ctx, key, meta)
	switch {
	case err == nil:
		return meta, nil
	case apierrors.IsNotFound(err):
		return nil, nil
	default:
		return nil, fmt.Errorf("read: %w", err)
	}
}

func readYAMLDir(fsys fs.FS, dir string) ([]*unstructured.Unstructured, error) {
	matches, err := fs.Glob(fsys, dir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, m := range matches {
		data, err := fs.ReadFile(fsys, m)
		if err != nil {
			return nil, err
		}
		objs, err := apply.ParseYAML(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// WhoAmI returns the user name the API server authenticates c as.
func WhoAmI(ctx context.Context, c client.Client) (string, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return "", fmt.Errorf("ask the API server who naas is (SelfSubjectReview): %w", err)
	}
	return review.Status.UserInfo.Username, nil
}
