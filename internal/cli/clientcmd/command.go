package clientcmd

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
	"sigs.k8s.io/yaml"

	"github.com/naas-dev/naas/internal/apiclient"
	"github.com/naas-dev/naas/internal/buildinfo"
)

// Exit codes of the naas command.
const (
	// ExitError is any error: the API refused the request, naas could not be reached, a file could not be written.
	ExitError = 1
	// ExitUsage is a command line that is wrong: an unknown command or flag, a missing argument, a bad value.
	ExitUsage = 2
	// ExitFailed is a namespace that failed, or was rejected, while a command waited for it (--wait).
	ExitFailed = 3
	// ExitTimeout is a wait (--wait) that ran out of time (--timeout) before the namespace was done.
	ExitTimeout = 4
)

// clientCommands are registered by the command files of this package.
var clientCommands []func() *cobra.Command

func init() {
	clientCommands = append(clientCommands,
		newLoginCommand, newLogoutCommand, newWhoamiCommand,
		newRequestCommand, newListCommand, newDescribeCommand, newQuotaCommand, newDeleteCommand,
		newApprovalsCommand, newApproveCommand, newRejectCommand,
		newCatalogCommand, newTiersCommand, newTenantCommand, newAuditCommand, newCostCommand, newRecommendCommand, newKubeconfigCommand, newBudgetCommand,
	)
}

// AddCommands adds every client command, and version, to root, and makes root's flag errors usage errors.
func AddCommands(root *cobra.Command) {
	root.SetFlagErrorFunc(FlagError)
	root.AddCommand(newVersionCommand())
	for _, add := range clientCommands {
		root.AddCommand(add())
	}
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the naas version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "naas", buildinfo.Version)
			return err
		},
	}
}

// exitError is an error with its exit code and what to do about it.
type exitError struct {
	code int
	err  error
	fix  string
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) Fix() string   { return e.fix }

// usageErrorf is a usage error of cmd (exit code 2) whose fix points at its help.
func usageErrorf(cmd *cobra.Command, format string, args ...any) error {
	return &exitError{code: ExitUsage, err: fmt.Errorf(format, args...),
		fix: fmt.Sprintf("%s --help shows the usage", cmd.CommandPath())}
}

// FlagError turns cobra's flag parsing errors into usage errors.
func FlagError(cmd *cobra.Command, err error) error {
	return usageErrorf(cmd, "%v", err)
}

// exitCode is the exit code of err.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case strings.HasPrefix(err.Error(), "unknown command "), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"):
		return ExitUsage
	default:
		return ExitError
	}
}

// ReportError writes err on one line, then its fix when it has one, and returns the exit code.
func ReportError(w io.Writer, err error) int {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	fmt.Fprintln(w, "error:", msg)
	code := exitCode(err)
	fix := apiclient.FixOf(err)
	if fix == "" && code == ExitUsage {
		fix = "--help lists the commands and flags"
	}
	if fix != "" {
		fmt.Fprintln(w, "fix:  ", fix)
	}
	return code
}

// exactArgs accepts exactly the named positional arguments, with a usage error that names them.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == len(names) {
			for i, a := range args {
				if strings.TrimSpace(a) == "" {
					return usageErrorf(cmd, "%s must not be empty", names[i])
				}
			}
			return nil
		}
		switch len(names) {
		case 0:
			return usageErrorf(cmd, "%s takes no arguments; got %q", cmd.CommandPath(), args)
		case 1:
			if len(args) == 0 {
				return usageErrorf(cmd, "%s needs the %s: %s", cmd.CommandPath(), names[0], cmd.UseLine())
			}
			return usageErrorf(cmd, "%s takes one argument, the %s; got %d: %q", cmd.CommandPath(), names[0], len(args), args)
		default:
			return usageErrorf(cmd, "%s takes %d arguments (%s); got %d", cmd.CommandPath(), len(names), strings.Join(names, ", "), len(args))
		}
	}
}

// outputFormats are the values of -o.
var outputFormats = []string{"table", "json", "yaml", "csv"}

// addOutputFlag adds -o to cmd and its subcommands.
func addOutputFlag(cmd *cobra.Command) {
	cmd.PersistentFlags().StringP("output", "o", "table", "output format: table, json or yaml")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(outputFormats, cobra.ShellCompDirectiveNoFileComp))
}

// session is what a client command works with: its streams, the API client and the output format.
type session struct {
	cmd    *cobra.Command
	out    io.Writer
	errOut io.Writer
	in     io.Reader
	// prog is how the user runs naas: "naas", or "kubectl naas" for the plugin.
	prog   string
	output string

	cfgPath string
	cfg     *clientConfig
	client  *apiclient.Client
}

// newSession reads the output flag; it does not connect (see connect).
func newSession(cmd *cobra.Command) (*session, error) {
	s := &session{cmd: cmd, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), in: cmd.InOrStdin(),
		prog: cmd.Root().DisplayName(), output: "table"}
	if f := cmd.Flags().Lookup("output"); f != nil {
		s.output = f.Value.String()
		valid := false
		for _, v := range outputFormats {
			valid = valid || v == s.output
		}
		if !valid {
			return nil, usageErrorf(cmd, "-o %s is not an output format; use table, json or yaml", s.output)
		}
	}
	return s, nil
}

// connected returns a session with an API client, from the environment and the configuration file.
func connected(cmd *cobra.Command) (*session, error) {
	s, err := newSession(cmd)
	if err != nil {
		return nil, err
	}
	if err := s.loadConfig(); err != nil {
		return nil, err
	}
	server := s.cfg.Server
	fromEnv := os.Getenv(EnvServer)
	if fromEnv != "" {
		server = fromEnv
	}
	if server == "" {
		return nil, &exitError{code: ExitError, err: errors.New("no naas server to talk to: you have not signed in"),
			fix: fmt.Sprintf("%s login --server URL --token TOKEN, or set %s (and %s)", s.prog, EnvServer, EnvToken)}
	}
	// The configuration's credentials are for its own server only: never send them anywhere else.
	sameServer := strings.TrimSuffix(server, "/") == strings.TrimSuffix(s.cfg.Server, "/")
	var tokens apiclient.TokenSource
	switch {
	case os.Getenv(EnvToken) != "":
		tokens = apiclient.StaticToken(os.Getenv(EnvToken))
	case sameServer && s.cfg.Token != "":
		tokens = apiclient.StaticToken(s.cfg.Token)
	case sameServer && s.cfg.OIDC != nil:
		tokens = s.oidcTokens
	}
	caFile := ""
	if sameServer {
		caFile = s.cfg.CAFile
	}
	hc, err := httpClient(caFile)
	if err != nil {
		return nil, err
	}
	s.client, err = apiclient.New(apiclient.Options{Server: server, Token: tokens, HTTPClient: hc,
		UserAgent: "naas-cli/" + buildinfo.Version, Command: s.prog})
	if err != nil {
		return nil, &exitError{code: ExitError, err: err,
			fix: fmt.Sprintf("sign in again with %s login --server URL, or correct %s", s.prog, EnvServer)}
	}
	return s, nil
}

func (s *session) loadConfig() error {
	path, err := configPath()
	if err != nil {
		return err
	}
	cfg, err := loadConfig(path)
	if err != nil {
		return err
	}
	s.cfgPath, s.cfg = path, cfg
	return nil
}

// httpClient trusts the host's roots and, when caFile is set, its certificates.
func httpClient(caFile string) (*http.Client, error) {
	if caFile == "" {
		return &http.Client{Timeout: apiclient.DefaultTimeout}, nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the CA file: %w", err)
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("the CA file %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: apiclient.DefaultTimeout, Transport: tr}, nil
}

// ctx is the context of API calls.
func (s *session) ctx() context.Context {
	if ctx := s.cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd())) //nolint:gosec // a file descriptor fits in an int
}

// render writes v as JSON or YAML when -o says so, and otherwise calls table.
func (s *session) render(v any, table func(w io.Writer) error) error {
	switch s.output {
	case "json":
		raw, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(s.out, "%s\n", raw)
		return err
	case "yaml":
		raw, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		_, err = s.out.Write(raw)
		return err
	case "csv":
		return fmt.Errorf("-o csv is for naas cost only; use table, json or yaml")
	default:
		return table(s.out)
	}
}

// printf writes a human message, on table output only: -o json and -o yaml print nothing but the document.
func (s *session) printf(format string, args ...any) {
	if s.output == "table" {
		fmt.Fprintf(s.out, format, args...)
	}
}

// note writes a human message to stderr.
func (s *session) note(format string, args ...any) {
	fmt.Fprintf(s.errOut, format, args...)
}

// newTable is a tabwriter for aligned columns.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 3, ' ', 0) }

// row writes tab-separated cells, "-" for empty ones.
func row(w io.Writer, cells ...string) {
	for i, c := range cells {
		if c == "" {
			cells[i] = "-"
		}
	}
	fmt.Fprintln(w, strings.Join(cells, "\t"))
}

// age is how long ago t was, in kubectl's style.
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// newClientCommand returns cmd with a RunE that gets a connected session, and flag errors that are usage errors.
func newClientCommand(cmd *cobra.Command, run func(s *session, args []string) error) *cobra.Command {
	cmd.SetFlagErrorFunc(FlagError)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := connected(cmd)
		if err != nil {
			return err
		}
		return run(s, args)
	}
	return cmd
}

// newOfflineCommand is newClientCommand for commands that make their own connection, or none.
func newOfflineCommand(cmd *cobra.Command, run func(s *session, args []string) error) *cobra.Command {
	cmd.SetFlagErrorFunc(FlagError)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		s, err := newSession(cmd)
		if err != nil {
			return err
		}
		return run(s, args)
	}
	return cmd
}

// newGroupCommand is a command of subcommands; run alone, it shows its help, and an unknown subcommand is a
// usage error.
func newGroupCommand(cmd *cobra.Command) *cobra.Command {
	cmd.SetFlagErrorFunc(FlagError)
	cmd.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageErrorf(c, "unknown command %q for %s", args[0], c.CommandPath())
		}
		return nil
	}
	cmd.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	return cmd
}

// stringSliceFlag reads a repeatable flag whose values may also be comma-separated.
func stringSliceFlag(fs *pflag.FlagSet, name string) []string {
	v, _ := fs.GetStringSlice(name)
	var out []string
	for _, s := range v {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
