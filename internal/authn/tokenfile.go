package authn

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// TokenFile authenticates the static bearer tokens of a kube-apiserver token file (--token-auth-file), the
// file `naas up` writes for the local control plane. Each line is
//
//	token,user,uid[,"group1,group2"]
//
// in CSV syntax: a field containing commas is quoted, the groups column is optional, and blank lines are
// ignored. Fields are taken verbatim, as kube-apiserver takes them, so that one token names the same user in
// both. Unlike kube-apiserver, which skips such lines with a warning, an empty token, an empty user name or a
// token listed twice is an error: they are always mistakes, and naas has no log a user would see them in.
//
// A TokenFile is immutable and safe for concurrent use.
type TokenFile struct {
	entries []tokenEntry
}

// tokenEntry is one line of a token file. Only a digest of the token is kept, so that comparing a presented
// token takes the same time whatever its length and whichever entry it matches.
type tokenEntry struct {
	digest [sha256.Size]byte
	user   User
}

var _ Authenticator = (*TokenFile)(nil)

// LoadTokenFile reads the token file at path; see TokenFile for the format.
func LoadTokenFile(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open token file: %w", err)
	}
	defer f.Close()
	tf, err := ParseTokenFile(f)
	if err != nil {
		return nil, fmt.Errorf("token file %s: %w", path, err)
	}
	return tf, nil
}

// ParseTokenFile parses a token file from r; see TokenFile for the format. An error names the line at fault.
func ParseTokenFile(r io.Reader) (*TokenFile, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // The groups column is optional.
	tf := &TokenFile{}
	firstLine := map[[sha256.Size]byte]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return tf, nil
		}
		if err != nil {
			// A *csv.ParseError already names the line and column.
			return nil, fmt.Errorf("%w (want token,user,uid[,\"group1,group2\"])", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // A line of only spaces.
		}
		if len(rec) < 3 || len(rec) > 4 {
			return nil, fmt.Errorf("line %d: want 3 or 4 columns (token,user,uid[,\"group1,group2\"]), got %d", line, len(rec))
		}
		token, name, uid := rec[0], rec[1], rec[2]
		if token == "" {
			return nil, fmt.Errorf("line %d: the token is empty", line)
		}
		if name == "" {
			return nil, fmt.Errorf("line %d: the user name is empty", line)
		}
		digest := sha256.Sum256([]byte(token))
		if prev, dup := firstLine[digest]; dup {
			return nil, fmt.Errorf("line %d: the token of line %d is listed again; give each user its own token", line, prev)
		}
		firstLine[digest] = line
		u := User{Name: name, UID: uid}
		if len(rec) == 4 {
			u.Groups = splitGroups(rec[3])
		}
		tf.entries = append(tf.entries, tokenEntry{digest: digest, user: u})
	}
}

// splitGroups splits the comma-separated groups column, dropping empty names so that an empty column means no
// groups.
func splitGroups(s string) []string {
	var groups []string
	for g := range strings.SplitSeq(s, ",") {
		if g != "" {
			groups = append(groups, g)
		}
	}
	return groups
}

// AuthenticateToken implements Authenticator. It compares token against every entry in constant time, so the
// time taken reveals neither whether nor where the token matched.
func (f *TokenFile) AuthenticateToken(_ context.Context, token string) (*User, error) {
	digest := sha256.Sum256([]byte(token))
	match := -1
	for i := range f.entries {
		eq := subtle.ConstantTimeCompare(f.entries[i].digest[:], digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return nil, unauthenticated("unknown token")
	}
	u := f.entries[match].user
	u.Groups = slices.Clone(u.Groups) // The caller may change its copy.
	return &u, nil
}
