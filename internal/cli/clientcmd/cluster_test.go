package clientcmd

import (
	"testing"

	"github.com/naas-dev/naas/internal/apiclient"
)

func TestParseTaint_ReadsKubectlsFormAndRefusesUnknownEffects(t *testing.T) {
	tests := []struct {
		in      string
		want    apiclient.ClusterTaint
		wantErr bool
	}{
		{in: "gpu=true:NoSchedule", want: apiclient.ClusterTaint{Key: "gpu", Value: "true", Effect: "NoSchedule"}},
		{in: "spot:PreferNoSchedule", want: apiclient.ClusterTaint{Key: "spot", Effect: "PreferNoSchedule"}},
		{in: "gpu=true", wantErr: true},
		{in: "gpu=true:Sometimes", wantErr: true},
		{in: ":NoSchedule", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseTaint(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseTaint(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && formatTaint(got) != tt.in {
			t.Errorf("formatTaint(parseTaint(%q)) = %q", tt.in, formatTaint(got))
		}
	}
	if _, _, err := parseLabel("environment"); err == nil {
		t.Error("parseLabel accepted a label without =")
	}
}
