package namespaceclaim

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/naas-dev/naas/internal/apply"
)

// ownedMetadataPrefixes are the label and annotation keys naas sets only for some inputs and must remove when
// they no longer apply: a collaborator's ingress label, the namespace's hostnames, the mesh enrolment labels.
// apply.Apply skips an object whose live state contains everything desired, so a key naas no longer wants would
// stay unless the object is applied anyway; server-side apply then removes what naas owned and left out.
var ownedMetadataPrefixes = []string{"naas.dev/", "ingress.naas.dev/", "istio-injection", "istio.io/dataplane-mode"}

// dropsOwnedMetadata reports whether the live Namespace carries a label or annotation of ownedMetadataPrefixes
// that naas applied and desired no longer has. The Namespace is the only object whose labels and annotations naas
// sets for some inputs only. It reads the namespace's metadata directly, with its managed fields: the caller asks
// only when the inventory does not show the namespace in place (see applyObject), so an idle resync reads nothing.
func (r *Reconciler) dropsOwnedMetadata(ctx context.Context, s *scope, desired *unstructured.Unstructured) (bool, error) {
	live := &metav1.PartialObjectMetadata{}
	live.SetGroupVersionKind(desired.GroupVersionKind())
	key := client.ObjectKeyFromObject(desired)
	if err := s.target.Reader.Get(ctx, key, live); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("read the metadata of %s %s: %w", desired.GetKind(), key, err)
	}
	candidates := map[string][]string{
		"f:labels":      extraKeys(live.GetLabels(), desired.GetLabels()),
		"f:annotations": extraKeys(live.GetAnnotations(), desired.GetAnnotations()),
	}
	if len(candidates["f:labels"]) == 0 && len(candidates["f:annotations"]) == 0 {
		return false, nil
	}
	for _, mf := range live.ManagedFields {
		if mf.Manager != apply.FieldOwner || mf.Operation != metav1.ManagedFieldsOperationApply || mf.FieldsV1 == nil {
			continue
		}
		var fields struct {
			Metadata map[string]map[string]any `json:"f:metadata"`
		}
		if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &fields); err != nil {
			continue
		}
		for set, keys := range candidates {
			for _, k := range keys {
				if _, owned := fields.Metadata[set]["f:"+k]; owned {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// extraKeys are the keys of live, of ownedMetadataPrefixes, that desired does not have.
func extraKeys(live, desired map[string]string) []string {
	var out []string
	for k := range live {
		if _, ok := desired[k]; ok {
			continue
		}
		for _, p := range ownedMetadataPrefixes {
			if strings.HasPrefix(k, p) {
				out = append(out, k)
				break
			}
		}
	}
	return out
}
