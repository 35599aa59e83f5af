package setup

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestAPIOptions_DatabaseFlagDefaultsToSQLiteInTheDataDir(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     string
		want    string
		wantErr string
	}{
		{name: "default", want: "sqlite:///data/audit.db"},
		{name: "postgres", args: []string{"--database", "postgres://naas@db/naas"}, want: "postgres://naas@db/naas"},
		{name: "from the environment", env: "postgres://naas@env/naas", want: "postgres://naas@env/naas"},
		{name: "flag over environment", env: "postgres://naas@env/naas", args: []string{"--database", "sqlite:///x.db"}, want: "sqlite:///x.db"},
		{name: "deprecated --audit-db", args: []string{"--audit-db", "/var/audit.db"}, want: "sqlite:///var/audit.db"},
		{name: "both", args: []string{"--audit-db", "/a.db", "--database", "sqlite:///b.db"}, wantErr: "both set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("NAAS_DATABASE", tt.env)
			var o APIOptions
			fs := pflag.NewFlagSet("naas", pflag.ContinueOnError)
			o.AddFlags(fs)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := o.database("/data")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("database() = %q, %v, want an error saying %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("database() = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}
