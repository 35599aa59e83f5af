package clusterconfig

import (
	"strings"
	"testing"
)

const kubeconfigHead = `apiVersion: v1
kind: Config
clusters:
- name: m
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ""
contexts:
- name: m
  context: {cluster: m, user: u}
current-context: m
users:
- name: u
  user:
`

func TestParseKubeconfig_RefusesWhatWouldReachBeyondTheCluster(t *testing.T) {
	tests := []struct {
		name, kubeconfig, wantErr string
	}{
		{name: "inline token", kubeconfig: kubeconfigHead + "    token: abc\n"},
		{name: "empty", kubeconfig: "", wantErr: "empty"},
		{name: "not YAML", kubeconfig: "{{", wantErr: "does not parse"},
		{name: "two contexts", kubeconfig: strings.Replace(kubeconfigHead, "current-context: m",
			"- name: other\n  context: {cluster: m, user: u}\ncurrent-context: m", 1) + "    token: abc\n", wantErr: "2 contexts"},
		{name: "exec plugin", kubeconfig: kubeconfigHead + "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n", wantErr: "credential plugin"},
		{name: "token file", kubeconfig: kubeconfigHead + "    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n", wantErr: "credential files"},
		{name: "client key file", kubeconfig: kubeconfigHead + "    client-certificate: /etc/c.crt\n    client-key: /etc/c.key\n", wantErr: "credential files"},
		{name: "no credentials", kubeconfig: kubeconfigHead + "    {}\n", wantErr: "no credentials"},
		{name: "CA file", kubeconfig: strings.Replace(kubeconfigHead, `certificate-authority-data: ""`, "certificate-authority: /etc/ca.crt", 1) + "    token: abc\n", wantErr: "certificate-authority names a file"},
		{name: "not a URL", kubeconfig: strings.Replace(kubeconfigHead, "https://127.0.0.1:6443", "ftp://x", 1) + "    token: abc\n", wantErr: "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseKubeconfig([]byte(tt.kubeconfig))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParseKubeconfig: %v", err)
			case tt.wantErr == "" && cfg.Host != "https://127.0.0.1:6443":
				t.Errorf("Host = %q", cfg.Host)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
