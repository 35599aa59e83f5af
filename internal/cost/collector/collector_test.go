package collector

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	naasv1alpha1 "github.com/naas-dev/naas/api/v1alpha1"
	"github.com/naas-dev/naas/internal/audit"
	"github.com/naas-dev/naas/internal/cost/allocation"
	"github.com/naas-dev/naas/internal/cost/money"
)

var h0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(d time.Duration) *metav1.Time { return &metav1.Time{Time: h0.Add(d)} }

func TestRan(t *testing.T) {
	finished := func(d time.Duration) corev1.ContainerStatus {
		return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: *at(d)}}}
	}
	for _, tc := range []struct {
		name     string
		pod      corev1.Pod
		from, to time.Time
		ok       bool
	}{
		{name: "not scheduled", pod: corev1.Pod{Status: corev1.PodStatus{StartTime: at(0)}}},
		{name: "scheduled, not started", pod: corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}}},
		{name: "running", pod: corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}, Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: at(10 * time.Minute)}},
			from: h0.Add(10 * time.Minute), ok: true},
		{name: "succeeded: until its last container finished", pod: corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}, Status: corev1.PodStatus{
			Phase: corev1.PodSucceeded, StartTime: at(0), ContainerStatuses: []corev1.ContainerStatus{finished(20 * time.Minute), finished(30 * time.Minute)},
		}}, from: h0, to: h0.Add(30 * time.Minute), ok: true},
		{name: "failed without a finish time counts nothing", pod: corev1.Pod{Spec: corev1.PodSpec{NodeName: "n"}, Status: corev1.PodStatus{Phase: corev1.PodFailed, StartTime: at(0)}},
			from: h0, to: h0, ok: true},
		{name: "deleted while running", pod: corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: at(45 * time.Minute)}, Spec: corev1.PodSpec{NodeName: "n"},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: at(0)}}, from: h0, to: h0.Add(45 * time.Minute), ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from, to, ok := ran(&tc.pod)
			if !from.Equal(tc.from) || !to.Equal(tc.to) || ok != tc.ok {
				t.Errorf("ran = %s, %s, %v; want %s, %s, %v", from, to, ok, tc.from, tc.to, tc.ok)
			}
		})
	}
}

func TestWorkload_NamesThePodsController(t *testing.T) {
	owned := func(kind, name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Labels: labels, OwnerReferences: []metav1.OwnerReference{
			{Kind: kind, Name: name, Controller: ptr.To(true)},
		}}}
	}
	for _, tc := range []struct {
		pod  *corev1.Pod
		want string
	}{
		{owned("ReplicaSet", "web-5d4f8c7b9", map[string]string{"pod-template-hash": "5d4f8c7b9"}), "Deployment/web"},
		{owned("ReplicaSet", "web-5d4f8c7b9", nil), "ReplicaSet/web-5d4f8c7b9"}, // A ReplicaSet of its own.
		{owned("StatefulSet", "db", nil), "StatefulSet/db"},
		{&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "debug"}}, "Pod/debug"},
	} {
		if got := workload(tc.pod); got != tc.want {
			t.Errorf("workload = %q, want %q", got, tc.want)
		}
	}
}

func TestSnapshotInput_WhatRanDuringTheHour(t *testing.T) {
	quantities := func(cpu, memory string) corev1.ResourceList {
		return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)}
	}
	gpu := quantities("4", "16Gi")
	gpu[gpuResource] = resource.MustParse("1")
	class := "fast"
	s := &Snapshot{
		Nodes: []corev1.Node{
			{ObjectMeta: metav1.ObjectMeta{Name: "n1", CreationTimestamp: *at(-time.Hour), Labels: map[string]string{naasv1alpha1.NodePoolLabel: "gpu"}},
				Status: corev1.NodeStatus{Capacity: gpu}},
			{ObjectMeta: metav1.ObjectMeta{Name: "later", CreationTimestamp: *at(2 * time.Hour)}}, // Not yet there.
		},
		Namespaces: []corev1.Namespace{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", CreationTimestamp: *at(-time.Hour), Labels: map[string]string{
				naasv1alpha1.LabelTenant: "pay", naasv1alpha1.LabelTier: "dev", naasv1alpha1.LabelTemplate: "web",
			}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "new", CreationTimestamp: *at(90 * time.Minute)}}, // Made after the hour.
		},
		Pods: []corev1.Pod{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "web"}, Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{
				{Name: "app", Resources: corev1.ResourceRequirements{Requests: gpu}},
			}}, Status: corev1.PodStatus{Phase: corev1.PodRunning, StartTime: at(30 * time.Minute)}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "pending"}, Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}},
		},
		Claims: []corev1.PersistentVolumeClaim{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "data", CreationTimestamp: *at(-time.Hour)},
				Spec:   corev1.PersistentVolumeClaimSpec{StorageClassName: &class},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound, Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "unbound", CreationTimestamp: *at(-time.Hour)}},
		},
		Services: []corev1.Service{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "lb", CreationTimestamp: *at(15 * time.Minute)}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "ip", CreationTimestamp: *at(-time.Hour)}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}},
		},
	}
	usage := map[ContainerKey]ContainerUsage{{"a", "web", "app"}: {CPUMillicores: 5000, MemoryBytes: 1 << 30}}
	got := s.Input("local", h0, h0.Add(time.Hour), Labels{CostCenters: map[string]string{"pay": "cc-1"}}, usage)
	cpu, mem := int64(5000), int64(1<<30)
	want := allocation.Input{
		Cluster: "local", Start: h0, End: h0.Add(time.Hour), UsageSource: allocation.UsagePrometheus,
		Nodes:      []allocation.Node{{Name: "n1", Pool: "gpu", CPUMillicores: 4000, MemoryBytes: 16 << 30, GPUs: 1, Seconds: 3600}},
		Namespaces: []allocation.Namespace{{Name: "a", Tenant: "pay", CostCenter: "cc-1", Template: "web", Tier: "dev", Labels: s.Namespaces[0].Labels}},
		Pods: []allocation.Pod{{Namespace: "a", Name: "web", Workload: "Pod/web", Node: "n1", Seconds: 1800, Containers: []allocation.Container{
			{Name: "app", CPURequestMillicores: 4000, MemoryRequestBytes: 16 << 30, GPURequest: 1, CPUUsageMillicores: &cpu, MemoryUsageBytes: &mem},
		}}},
		Volumes:       []allocation.Volume{{Namespace: "a", Name: "data", StorageClass: "fast", CapacityBytes: 10 << 30, Seconds: 3600}},
		LoadBalancers: []allocation.LoadBalancer{{Namespace: "a", Name: "lb", Seconds: 2700}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Input (-want +got):\n%s", diff)
	}
	// Without Prometheus, requests alone.
	if in := s.Input("local", h0, h0.Add(time.Hour), Labels{}, nil); in.UsageSource != allocation.UsageRequests || in.Pods[0].Containers[0].CPUUsageMillicores != nil {
		t.Errorf("without usage: source %q, usage %v; want requests and none", in.UsageSource, in.Pods[0].Containers[0].CPUUsageMillicores)
	}
}

func TestFromStore_BasisFollowsThePrometheusHours(t *testing.T) {
	for _, tc := range []struct {
		hours, prometheus int64
		want              string
	}{{3, 0, allocation.UsageRequests}, {3, 3, allocation.UsagePrometheus}, {3, 1, Mixed}} {
		r := fromStore(&audit.CostSum{Namespace: "a", Hours: tc.hours, PrometheusHours: tc.prometheus, Amounts: audit.CostAmounts{CPU: 7}}, h0, nil)
		if r.Basis != tc.want || r.Seconds != tc.hours*3600 || r.Cost.CPU != 7 || !r.Hour.Equal(h0) {
			t.Errorf("%d of %d hours from Prometheus: %+v; want basis %s", tc.prometheus, tc.hours, r, tc.want)
		}
	}
	period := h0.Add(24 * time.Hour)
	if r := fromStore(&audit.CostSum{Period: period}, h0, nil); !r.Hour.Equal(period) {
		t.Errorf("a period's sum is at %s, want %s", r.Hour, period)
	}
}

func TestMergeSource(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{"", "prometheus", "prometheus"}, {"requests", "", "requests"}, {"requests", "requests", "requests"}, {"requests", "prometheus", Mixed},
	} {
		if got := mergeSource(tc.a, tc.b); got != tc.want {
			t.Errorf("mergeSource(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestExchangeRate_DirectOrInverted(t *testing.T) {
	cfg := &Config{Books: []naasv1alpha1.PriceBook{{ObjectMeta: metav1.ObjectMeta{Name: "gbp"}, Spec: naasv1alpha1.PriceBookSpec{
		Currency: "GBP", ExchangeRates: []naasv1alpha1.ExchangeRate{{Currency: "USD", Rate: "1.25", Date: "2026-11-30"}},
	}}}}
	r, err := exchangeRate(cfg, "GBP", "USD")
	if err != nil || r.Factor != 1_250_000_000 || r.Date != "2026-11-30" {
		t.Errorf("GBP→USD = %+v, %v; want 1.25", r, err)
	}
	r, err = exchangeRate(cfg, "USD", "GBP")
	if err != nil || r.Factor != 800_000_000 || r.From != "USD" || r.To != "GBP" {
		t.Errorf("USD→GBP = %+v, %v; want 0.8, the inverse", r, err)
	}
	if _, err := exchangeRate(cfg, "GBP", "EUR"); err == nil {
		t.Error("GBP→EUR: no error; want one (no book has the rate)")
	}
	if got := money.Amount(r.Factor).Exact(); got != "0.8" {
		t.Errorf("inverse = %s", got)
	}
}

func TestCeilHour(t *testing.T) {
	for in, want := range map[time.Time]time.Time{h0: h0, h0.Add(time.Second): h0.Add(time.Hour), h0.Add(59 * time.Minute): h0.Add(time.Hour)} {
		if got := ceilHour(in); !got.Equal(want) {
			t.Errorf("ceilHour(%s) = %s, want %s", in, got, want)
		}
	}
}
