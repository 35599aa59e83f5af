package bundle

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
)

// quota is the tier's ResourceQuota plus the template's additions, or nothing when
// the tier sets no quota.
func (b *builder) quota() ([]*unstructured.Unstructured, error) {
	hard := QuotaHard(b.in.Tier, b.in.Template)
	if len(hard) == 0 {
		return nil, nil
	}
	rq := &corev1.ResourceQuota{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "ResourceQuota"},
		ObjectMeta: b.objectMeta(QuotaName),
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}
	u, err := toUnstructured(rq)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}

// limitRange is the tier's per-container defaults and bounds, or nothing when the tier sets none.
func (b *builder) limitRange() ([]*unstructured.Unstructured, error) {
	lr := b.in.Tier.Spec.LimitRange
	if len(lr.Default) == 0 && len(lr.DefaultRequest) == 0 && len(lr.Max) == 0 {
		return nil, nil
	}
	item := corev1.LimitRangeItem{Type: corev1.LimitTypeContainer}
	if len(lr.Default) > 0 {
		item.Default = lr.Default.DeepCopy()
	}
	if len(lr.DefaultRequest) > 0 {
		item.DefaultRequest = lr.DefaultRequest.DeepCopy()
	}
	if len(lr.Max) > 0 {
		item.Max = lr.Max.DeepCopy()
	}
	obj := &corev1.LimitRange{
		TypeMeta:   metav1.TypeMeta{APIVersion: corev1.SchemeGroupVersion.String(), Kind: "LimitRange"},
		ObjectMeta: b.objectMeta(LimitRangeName),
		Spec:       corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{item}},
	}
	u, err := toUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}

// objectMeta is the metadata of a namespaced object of the bundle.
func (b *builder) objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: b.namespace, Labels: b.labels()}
}

// QuotaHard is the quota of a namespace: the tier's, with the template's additions
// added to the resources the tier limits. A resource the tier leaves unlimited
// stays unlimited: an addition never introduces a limit the tier did not set.
func QuotaHard(tier *naasv1alpha1.Tier, tpl *naasv1alpha1.NamespaceTemplate) corev1.ResourceList {
	hard := tier.Spec.Quota.DeepCopy()
	if tpl == nil {
		return hard
	}
	for name, add := range tpl.Spec.QuotaAdditions {
		if q, ok := hard[name]; ok {
			q.Add(add)
			hard[name] = q
		}
	}
	return hard
}
