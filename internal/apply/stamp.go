package apply

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// AnnotationApplied holds the stamp of what naas last applied to an object: a hash of the object as naas wants it.
// With it, naas tells from an object's metadata alone, which it caches, that the object is as it wants it, and
// never needs to cache or read the whole object while nothing changed.
const AnnotationApplied = "naas.dev/applied"

// Stamp sets desired's AnnotationApplied to the hash of desired without it, and returns the hash. Stamping an
// object twice changes nothing.
func Stamp(desired *unstructured.Unstructured) (string, error) {
	annotations := desired.GetAnnotations()
	delete(annotations, AnnotationApplied)
	if len(annotations) == 0 {
		annotations = nil
	}
	desired.SetAnnotations(annotations)
	// encoding/json writes map keys sorted: equal objects hash equally.
	b, err := json.Marshal(desired.Object)
	if err != nil {
		return "", fmt.Errorf("hash %s %s: %w", desired.GetKind(), client.ObjectKeyFromObject(desired), err)
	}
	sum := sha256.Sum256(b)
	hash := base64.RawURLEncoding.EncodeToString(sum[:15])
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationApplied] = hash
	desired.SetAnnotations(annotations)
	return hash, nil
}

// InPlace reports whether an object, from its metadata, is as naas last applied it with the given stamp, untouched
// since: it carries the stamp, and no one but naas's server-side applies manages any of its fields (see Untouched).
func InPlace(live metav1.Object, stamp string) bool {
	return live.GetAnnotations()[AnnotationApplied] == stamp && Untouched(live.GetManagedFields())
}

// Untouched reports whether only naas's own server-side applies manage an object's fields: writes to a
// subresource, such as kube-controller-manager's to a ResourceQuota's status, do not count. Someone else's
// change, by an update or an apply of their own, adds their manager; a change naas could not see in the
// metadata is therefore impossible.
func Untouched(managed []metav1.ManagedFieldsEntry) bool {
	for _, e := range managed {
		if e.Subresource != "" {
			continue
		}
		if e.Manager != FieldOwner || e.Operation != metav1.ManagedFieldsOperationApply {
			return false
		}
	}
	return true
}

// UntouchedFields and TouchedFields are managed fields that Untouched answers true and false of: for metadata
// synthesized from what a cache keeps of an object (see package inventory).
var (
	UntouchedFields = []metav1.ManagedFieldsEntry{{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply}}
	TouchedFields   = []metav1.ManagedFieldsEntry{{Manager: "(managers other than naas)", Operation: metav1.ManagedFieldsOperationUpdate}}
)

// Ensure stamps desired (see Stamp) and applies it, unless the object's metadata shows it in place
// (InPlace). metadata reads the object's metadata (metav1.PartialObjectMetadata), from a cache where there is
// one. A missing object is applied at once; when the metadata does not show the object in place, Apply reads
// the whole object directly through c, and writes only if it differs. An object naas applied and nobody touched therefore costs no read of the API
// server; one someone else changed costs a read, and a write if the change contradicts naas's.
func Ensure(ctx context.Context, c client.Client, metadata client.Reader, desired *unstructured.Unstructured) (Result, error) {
	obj := desired.DeepCopy()
	stamp, err := Stamp(obj)
	if err != nil {
		return Unchanged, err
	}
	live := &metav1.PartialObjectMetadata{}
	live.SetGroupVersionKind(obj.GroupVersionKind())
	err = metadata.Get(ctx, client.ObjectKeyFromObject(obj), live)
	switch {
	case apierrors.IsNotFound(err):
		// A new object, or one a cache has not seen yet: apply it without reading it first. Should it exist
		// after all, as wanted, server-side apply changes nothing.
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return Unchanged, fmt.Errorf("apply %s %s: %w", obj.GetKind(), client.ObjectKeyFromObject(obj), err)
		}
		return Created, nil
	case err != nil:
		return Unchanged, fmt.Errorf("get %s %s: %w", obj.GetKind(), client.ObjectKeyFromObject(obj), err)
	case InPlace(live, stamp):
		return Unchanged, nil
	}
	return Apply(ctx, c, c, obj)
}
