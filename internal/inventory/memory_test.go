package inventory

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// objectsPerNamespace are the names of the objects naas makes in a namespace, by kind index.
var objectsPerNamespace = [][]string{
	nil, // the namespace itself
	{"naas-quota"}, {"naas-limits"}, {"naas-dashboard"},
	{"naas-admin", "naas-developer", "naas-viewer"},
	{"naas-default-deny", "naas-allow-tenant", "naas-allow-dns", "naas-allow-shared", "naas-allow-monitoring"},
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// fill lists every kind into the inventory, as at start (how == listed), lists them again with a collection after
// each kind (relisted), or sends every object as a watch event with a collection after every 1,000 (watched). Every
// string is cloned, so that the objects hold copies of their own, as decoding makes them.
func fill(b testing.TB, inv *Inventory, namespaces int, how string) {
	rng := rand.New(rand.NewPCG(1, 2))
	stampBuf := make([]byte, stampBytes)
	for k, names := range objectsPerNamespace {
		gvk := inv.opts.Kinds[k].GVK
		list := make([]any, 0, namespaces*max(len(names), 1))
		for i := range namespaces {
			ns := fmt.Sprintf("team-%05d-app", i)
			objs := names
			if k == 0 {
				objs = []string{ns}
			}
			for _, name := range objs {
				for j := range stampBuf {
					stampBuf[j] = byte(rng.Uint32())
				}
				m := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{
					Name: strings.Clone(name), UID: types.UID(uuid.New().String()),
					Labels: map[string]string{
						strings.Clone("app.kubernetes.io/managed-by"): strings.Clone("naas"),
						strings.Clone("naas.dev/tenant"):              fmt.Sprintf("tenant-%03d", i%100),
						strings.Clone("naas.dev/claim"):               strings.Clone(ns),
					},
					Annotations:   map[string]string{"naas.dev/applied": base64.RawURLEncoding.EncodeToString(stampBuf)},
					ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "naas", Operation: metav1.ManagedFieldsOperationApply}},
				}}
				m.SetGroupVersionKind(gvk)
				if k != 0 {
					m.Namespace = strings.Clone(ns)
				}
				list = append(list, m)
			}
		}
		s := inv.kinds[gvk]
		switch how {
		case "watched":
			for i, obj := range list {
				if err := s.Update(obj); err != nil {
					b.Fatal(err)
				}
				if i%1000 == 999 {
					runtime.GC()
				}
			}
		default:
			if err := s.Replace(list, ""); err != nil {
				b.Fatal(err)
			}
		}
		if how == "relisted" {
			runtime.GC()
		}
	}
}

// BenchmarkInventory_LiveHeap measures the live heap of an inventory of 10,000 namespaces (110,000 objects, as
// naas makes them): after the list at start, after a relist, and after every object came again as a watch event
// (with collections in between, which is when package intern's weakly held canonical copies are forgotten).
// Its first version measured the same for intern's earlier bounded table and for no sharing (docs/benchmarks.md).
// Run it alone: go test -run '^$' -bench LiveHeap -benchtime 1x ./internal/inventory/
func BenchmarkInventory_LiveHeap(b *testing.B) {
	core := schema.GroupVersion{Version: "v1"}
	for b.Loop() {
		before := liveHeap()
		inv, err := New(nil, Options{
			Kinds: []Kind{
				{GVK: core.WithKind("Namespace"), Resource: "namespaces", ClusterScoped: true},
				{GVK: core.WithKind("ResourceQuota"), Resource: "resourcequotas"},
				{GVK: core.WithKind("LimitRange"), Resource: "limitranges"},
				{GVK: core.WithKind("ConfigMap"), Resource: "configmaps"},
				{GVK: core.WithKind("RoleBinding"), Resource: "rolebindings"},
				{GVK: core.WithKind("NetworkPolicy"), Resource: "networkpolicies"},
			},
			Labels:          []string{"app.kubernetes.io/managed-by", "naas.dev/tenant", "naas.dev/claim", "naas.dev/deletion-protection"},
			StampAnnotation: "naas.dev/applied",
			Untouched:       func(mf []metav1.ManagedFieldsEntry) bool { return len(mf) == 1 && mf[0].Manager == "naas" },
		})
		if err != nil {
			b.Fatal(err)
		}
		fill(b, inv, 10000, "listed")
		listed := liveHeap()
		fill(b, inv, 10000, "relisted")
		relisted := liveHeap()
		fill(b, inv, 10000, "watched")
		watched := liveHeap()
		b.ReportMetric(float64(listed-before)/(1<<20), "MiB-listed")
		b.ReportMetric(float64(relisted-before)/(1<<20), "MiB-relisted")
		b.ReportMetric(float64(watched-before)/(1<<20), "MiB-watched")
		runtime.KeepAlive(inv)
	}
}
