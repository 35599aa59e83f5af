package webhook

import (
	"context"
	"slices"

	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// Step is one handler of a Chain, with the operations it handles (all when empty).
type Step struct {
	Handler    admission.Handler
	Operations []string
}

// Chain returns one handler that runs steps in order on the same request, so that kube-apiserver makes one
// webhook call where it made one per step: each call costs it a TLS round trip and the encoding and decoding of
// the whole object, which at 200 claims a second was most of kube-apiserver's CPU. The first step that denies
// or fails decides; otherwise the request is allowed with every step's patches (they must not touch the same
// paths: each is computed against the object as it came) and warnings. The steps share what they decode and read
// through Object, OldObject and Get.
func Chain(steps ...Step) admission.Handler {
	return chain(steps)
}

type chain []Step

func (c chain) Handle(ctx context.Context, req admission.Request) admission.Response {
	out := admission.Allowed("")
	ctx = withShared(ctx) // the steps decode and read each object once (see Object and Get)
	for _, s := range c {
		if len(s.Operations) > 0 && !slices.Contains(s.Operations, string(req.Operation)) {
			continue
		}
		res := s.Handler.Handle(ctx, req)
		if !res.Allowed {
			return res
		}
		out.Patches = append(out.Patches, res.Patches...)
		out.Warnings = append(out.Warnings, res.Warnings...)
		if res.Result != nil && res.Result.Message != "" && (out.Result == nil || out.Result.Message == "") {
			out.Result = res.Result
		}
	}
	return out
}
