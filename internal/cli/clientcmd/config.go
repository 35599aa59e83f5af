package clientcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"
)

// Environment variables of the client commands. NAAS_SERVER and NAAS_TOKEN override the configuration file, for
// scripts and CI; NAAS_CONFIG names another configuration file.
const (
	EnvServer = "NAAS_SERVER"
	EnvToken  = "NAAS_TOKEN"
	EnvConfig = "NAAS_CONFIG"
)

// clientConfig is what `naas login` saves: where naas is and how to authenticate. It holds credentials, so it is
// written readable by its owner only.
type clientConfig struct {
	// Server is the base URL of naas.
	Server string `json:"server"`
	// CAFile names PEM certificate authorities to trust for Server (and the OIDC issuer), besides the host's.
	CAFile string `json:"caFile,omitempty"`
	// Token is a static bearer token.
	Token string `json:"token,omitempty"`
	// OIDC is the sign-in of the device flow, used when Token is empty.
	OIDC *oidcLogin `json:"oidc,omitempty"`
}

// oidcLogin is an OIDC sign-in: the token to send, and how to refresh it.
type oidcLogin struct {
	IssuerURL    string    `json:"issuerURL"`
	ClientID     string    `json:"clientID"`
	Scopes       []string  `json:"scopes,omitempty"`
	IDToken      string    `json:"idToken"`
	RefreshToken string    `json:"refreshToken,omitempty"`
	Expiry       time.Time `json:"expiry,omitzero"`
}

// configPath is the configuration file: $NAAS_CONFIG, or naas/config.yaml in the user's configuration directory
// ($XDG_CONFIG_HOME, ~/.config on Linux).
func configPath() (string, error) {
	if p := os.Getenv(EnvConfig); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("find the configuration directory (set %s or XDG_CONFIG_HOME): %w", EnvConfig, err)
	}
	return filepath.Join(dir, "naas", "config.yaml"), nil
}

// loadConfig reads the configuration file; a missing file is an empty configuration.
func loadConfig(path string) (*clientConfig, error) {
	cfg := &clientConfig{}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the naas configuration: %w", err)
	}
	if err := yaml.UnmarshalStrict(raw, cfg); err != nil {
		return nil, fmt.Errorf("the naas configuration %s is not valid (fix it, or delete it and run naas login again): %w", path, err)
	}
	return cfg, nil
}

// save writes the configuration atomically, readable by its owner only.
func (c *clientConfig) save(path string) error {
	raw, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode the naas configuration: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("write the naas configuration: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write the naas configuration: %w", err)
	}
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write the naas configuration: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the naas configuration: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write the naas configuration: %w", err)
	}
	return nil
}
