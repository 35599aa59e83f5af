package localcp

import (
	"crypto/rand"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// TokenUser is one line of kube-apiserver's static token file: a bearer token
// that authenticates as a user with groups.
type TokenUser struct {
	Token  string
	Name   string
	UID    string
	Groups []string
}

// Well-known identities of the local control plane.
const (
	// AdminUser is the cluster-admin and naas platform admin of the local control plane.
	AdminUser = "naas-admin"
	// PlatformAdminGroup is the group naas treats as platform admins.
	PlatformAdminGroup    = "naas:platform-admins"
	controllerManagerUser = "system:kube-controller-manager"
	schedulerUser         = "system:kube-scheduler"
	kwokUser              = "naas:kwok"
)

// NewToken returns a random bearer token.
func NewToken() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return hex.EncodeToString(b)
}

// ReadTokenFile parses a file in kube-apiserver's static token format:
// token,user,uid,"group1,group2".
func ReadTokenFile(path string) ([]TokenUser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read token file: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	var users []TokenUser
	for line := 1; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return users, nil
		}
		if err != nil {
			return nil, fmt.Errorf("token file %s: %w", path, err)
		}
		if len(rec) == 0 || (len(rec) == 1 && strings.TrimSpace(rec[0]) == "") {
			continue
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("token file %s line %d: want token,user,uid[,\"groups\"], got %d fields", path, line, len(rec))
		}
		u := TokenUser{Token: rec[0], Name: rec[1], UID: rec[2]}
		if len(rec) > 3 && rec[3] != "" {
			u.Groups = strings.Split(rec[3], ",")
		}
		if u.Token == "" || u.Name == "" {
			return nil, fmt.Errorf("token file %s line %d: token and user must not be empty", path, line)
		}
		users = append(users, u)
	}
}

// WriteTokenFile writes users in kube-apiserver's static token format.
func WriteTokenFile(path string, users []TokenUser) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	for _, u := range users {
		uid := u.UID
		if uid == "" {
			uid = u.Name
		}
		rec := []string{u.Token, u.Name, uid}
		if len(u.Groups) > 0 {
			rec = append(rec, strings.Join(u.Groups, ","))
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}
