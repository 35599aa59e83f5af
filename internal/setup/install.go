package setup

import (
	"context"
	"fmt"
	"io/fs"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/apply"
)

// InstallCRDs applies the CRDs in fsys (every *.yaml under dir) and waits until the
// API server serves them.
func InstallCRDs(ctx context.Context, c client.Client, fsys fs.FS, dir string) error {
	objs, err := readYAMLDir(fsys, dir)
	if err != nil {
		return err
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
// are left alone: a platform admin's edits to the default catalog win.
func SeedDefaults(ctx context.Context, c client.Client, fsys fs.FS, dir string) (created int, err error) {
	objs, err := readYAMLDir(fsys, dir)
	if err != nil {
		return 0, err
	}
	for _, o := range objs {
		if err := c.Create(ctx, o, client.FieldOwner(apply.FieldOwner)); err != nil {
			if apierrors.IsAlreadyExists(err) {
				continue
			}
			return created, fmt.Errorf("seed %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		created++
	}
	return created, nil
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
