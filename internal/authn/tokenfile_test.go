package authn_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/naas-dev/naas/internal/authn"
)

func TestParseTokenFile(t *testing.T) {
	tests := []struct {
		name string
		file string
		// want maps a token to the user it must authenticate.
		want map[string]authn.User
		// wantErr is a substring of the parse error; empty means parsing succeeds.
		wantErr string
	}{
		{
			name: "three columns",
			file: "s3cret,alice,1001\n",
			want: map[string]authn.User{"s3cret": {Name: "alice", UID: "1001"}},
		},
		{
			name: "quoted groups column",
			file: `t1,alice,1001,"dev,ops"` + "\n",
			want: map[string]authn.User{"t1": {Name: "alice", UID: "1001", Groups: []string{"dev", "ops"}}},
		},
		{
			name: "single group without quotes",
			file: "t1,bob,1002,naas:platform-admins\n",
			want: map[string]authn.User{"t1": {Name: "bob", UID: "1002", Groups: []string{"naas:platform-admins"}}},
		},
		{
			name: "empty groups column means no groups",
			file: `t1,alice,1001,""` + "\n",
			want: map[string]authn.User{"t1": {Name: "alice", UID: "1001"}},
		},
		{
			name: "quoted fields with commas and quotes",
			file: `"tok,en","Smith, ""J""",u1` + "\n",
			want: map[string]authn.User{"tok,en": {Name: `Smith, "J"`, UID: "u1"}},
		},
		{
			name: "blank lines, blank last line, CRLF and no final newline",
			file: "\n\nt1,alice,1\r\n   \r\n\nt2,bob,2,\"g\"",
			want: map[string]authn.User{
				"t1": {Name: "alice", UID: "1"},
				"t2": {Name: "bob", UID: "2", Groups: []string{"g"}},
			},
		},
		{
			name: "empty uid is allowed, as in kube-apiserver",
			file: "t1,alice,\n",
			want: map[string]authn.User{"t1": {Name: "alice"}},
		},
		{
			name: "empty file",
			file: "",
			want: map[string]authn.User{},
		},
		{name: "too few columns", file: "t1,alice,1\n\nt2,bob\n", wantErr: "line 3: want 3 or 4 columns"},
		{name: "too many columns", file: "t1,alice,1,g,extra\n", wantErr: "line 1: want 3 or 4 columns"},
		{name: "empty token", file: "t1,alice,1\n,bob,2\n", wantErr: "line 2: the token is empty"},
		{name: "empty user", file: "t1,,1\n", wantErr: "line 1: the user name is empty"},
		{name: "duplicate token", file: "t1,alice,1\nt2,bob,2\nt1,carol,3\n", wantErr: "line 3: the token of line 1 is listed again"},
		{name: "unterminated quote", file: "t1,alice,1\nt2,bob,2,\"dev\n", wantErr: "line 2"},
		{name: "bare quote", file: "t1,al\"ice,1\n", wantErr: "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tf, err := authn.ParseTokenFile(strings.NewReader(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTokenFile error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTokenFile: %v", err)
			}
			for token, want := range tt.want {
				got, err := tf.AuthenticateToken(context.Background(), token)
				if err != nil {
					t.Fatalf("AuthenticateToken(%q): %v", token, err)
				}
				if diff := cmp.Diff(want, *got); diff != "" {
					t.Errorf("user of %q mismatch (-want +got):\n%s", token, diff)
				}
			}
		})
	}
}

func TestTokenFile_UnknownTokenIsUnauthenticated(t *testing.T) {
	tf, err := authn.ParseTokenFile(strings.NewReader("s3cret,alice,1\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, token := range []string{"", "s3cre", "s3cret ", "S3CRET", "s3cret,alice,1"} {
		u, err := tf.AuthenticateToken(context.Background(), token)
		if !errors.Is(err, authn.ErrUnauthenticated) || u != nil {
			t.Errorf("AuthenticateToken(%q) = %v, %v; want ErrUnauthenticated", token, u, err)
		}
	}
}

func TestTokenFile_CallerCannotChangeStoredGroups(t *testing.T) {
	tf, err := authn.ParseTokenFile(strings.NewReader(`t,alice,1,"dev"` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := tf.AuthenticateToken(context.Background(), "t")
	u.Groups[0] = "naas:platform-admins"
	u2, _ := tf.AuthenticateToken(context.Background(), "t")
	if diff := cmp.Diff([]string{"dev"}, u2.Groups); diff != "" {
		t.Errorf("groups changed through a returned user (-want +got):\n%s", diff)
	}
}

func TestLoadTokenFile_ErrorNamesFileAndLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(path, []byte("t1,alice,1\nbroken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := authn.LoadTokenFile(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("LoadTokenFile error = %v, want one naming %s and line 2", err, path)
	}
	if _, err := authn.LoadTokenFile(filepath.Join(t.TempDir(), "missing.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadTokenFile of a missing file = %v, want os.ErrNotExist", err)
	}
}
