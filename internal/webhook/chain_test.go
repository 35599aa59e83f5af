package webhook

import (
	"context"
	"net/http"
	"testing"

	"gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

type handlerFunc func() admission.Response

func (f handlerFunc) Handle(context.Context, admission.Request) admission.Response { return f() }

func patch(path string) handlerFunc {
	return func() admission.Response {
		return admission.Patched("", jsonpatch.Operation{Operation: "add", Path: path, Value: "x"}).WithWarnings("from " + path)
	}
}

func TestChain(t *testing.T) {
	var ran []string
	record := func(name string, res admission.Response) handlerFunc {
		return func() admission.Response { ran = append(ran, name); return res }
	}
	tests := []struct {
		name        string
		op          admissionv1.Operation
		steps       []Step
		wantAllowed bool
		wantPatches []string
		wantRan     []string
		wantCode    int32
	}{
		{
			name: "every step's patches and warnings", op: admissionv1.Create,
			steps:       []Step{{Handler: patch("/spec/requester")}, {Handler: patch("/spec/hostnames")}},
			wantAllowed: true, wantPatches: []string{"/spec/requester", "/spec/hostnames"},
		},
		{
			name: "the first denial decides, later steps do not run", op: admissionv1.Create,
			steps: []Step{
				{Handler: record("claims", admission.Denied("tenant is cordoned"))},
				{Handler: record("hostnames", admission.Allowed(""))},
			},
			wantRan: []string{"claims"}, wantCode: http.StatusForbidden,
		},
		{
			name: "an error decides", op: admissionv1.Update,
			steps: []Step{
				{Handler: record("claims", admission.Allowed(""))},
				{Handler: record("hostnames", admission.Errored(http.StatusInternalServerError, context.DeadlineExceeded))},
			},
			wantRan: []string{"claims", "hostnames"}, wantCode: http.StatusInternalServerError,
		},
		{
			name: "steps for other operations are skipped", op: admissionv1.Delete,
			steps: []Step{
				{Handler: record("claims", admission.Allowed(""))},
				{Handler: record("hostnames", admission.Denied("no")), Operations: []string{"CREATE", "UPDATE"}},
			},
			wantAllowed: true, wantRan: []string{"claims"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran = nil
			req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{Operation: tt.op}}
			res := Chain(tt.steps...).Handle(context.Background(), req)
			if res.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %v, want %v (%+v)", res.Allowed, tt.wantAllowed, res.Result)
			}
			var paths []string
			for _, p := range res.Patches {
				paths = append(paths, p.Path)
			}
			if len(paths) != len(tt.wantPatches) || (len(paths) > 0 && (paths[0] != tt.wantPatches[0] || paths[1] != tt.wantPatches[1])) {
				t.Errorf("patches %v, want %v", paths, tt.wantPatches)
			}
			if len(tt.wantPatches) > 0 && len(res.Warnings) != len(tt.wantPatches) {
				t.Errorf("warnings %v, want one per step", res.Warnings)
			}
			if tt.wantRan != nil && len(ran) != len(tt.wantRan) {
				t.Errorf("ran %v, want %v", ran, tt.wantRan)
			}
			if tt.wantCode != 0 && (res.Result == nil || res.Result.Code != tt.wantCode) {
				t.Errorf("result %+v, want code %d", res.Result, tt.wantCode)
			}
		})
	}
}
