package clientcmd

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/yaml"

	restv1 "github.com/naas-dev/naas/api/rest/v1"
)

func newKubeconfigCommand() *cobra.Command {
	var (
		print, noSwitch bool
		path, auth      string
	)
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME [--print]",
		Short: "Add a kubectl context for a namespace, with your own credentials",
		Long: `Write a kubectl context for the namespace NAME into your kubeconfig (--kubeconfig, else the first file
of $KUBECONFIG, else ~/.kube/config), merged with what is there, and make it the current context.

The context authenticates as you, never as naas: with your token when you signed in with one (naas up's
kube-apiserver trusts the same tokens), or, for OIDC sign-ins, with kubelogin (kubectl oidc-login), which signs
you in and refreshes your token; --auth token embeds your current OIDC token instead. What you may do in the
namespace follows your tenant role. --print writes the kubeconfig to standard output instead.`,
		Example: `  naas kubeconfig payments-api && kubectl get pods
  naas kubeconfig payments-api --print > payments-api.kubeconfig`,
		Args:              exactArgs("namespace NAME"),
		ValidArgsFunction: firstArg(completeNamespaces),
	}
	f := cmd.Flags()
	f.BoolVar(&print, "print", false, "print the kubeconfig instead of writing it")
	f.StringVar(&path, "kubeconfig", "", "kubeconfig file to merge the context into (default: $KUBECONFIG's first file, or ~/.kube/config)")
	f.BoolVar(&noSwitch, "no-switch", false, "keep the current context as it is")
	f.StringVar(&auth, "auth", "", "for OIDC sign-ins: exec (kubelogin, the default) or token (embed your current token)")
	_ = cmd.RegisterFlagCompletionFunc("auth", cobra.FixedCompletions([]string{restv1.KubeconfigAuthExec, restv1.KubeconfigAuthToken}, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd)
	return newClientCommand(cmd, func(s *session, args []string) error {
		if auth != "" && auth != restv1.KubeconfigAuthExec && auth != restv1.KubeconfigAuthToken {
			return usageErrorf(cmd, "--auth must be exec or token; got %q", auth)
		}
		raw, err := s.client.Kubeconfig(s.ctx(), args[0], auth)
		if err != nil {
			return err
		}
		fresh, err := clientcmd.Load(raw)
		if err != nil {
			return fmt.Errorf("the kubeconfig naas sent does not load: %w", err)
		}
		if print {
			if s.output == "json" {
				j, err := yaml.YAMLToJSON(raw)
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(s.out, "%s\n", j)
				return err
			}
			_, err = s.out.Write(raw)
			return err
		}
		if path == "" {
			path = defaultKubeconfigPath()
		}
		if err := mergeKubeconfig(path, fresh, !noSwitch); err != nil {
			return err
		}
		s.printf("context %s for namespace %s written to %s", fresh.CurrentContext, args[0], path)
		if noSwitch {
			s.printf("; use it with: kubectl --context %s get pods\n", fresh.CurrentContext)
		} else {
			s.printf(" and made current; try: kubectl get pods\n")
		}
		if s.output == "table" {
			return nil
		}
		return s.render(map[string]string{"context": fresh.CurrentContext, "namespace": args[0], "kubeconfig": path}, nil)
	})
}

// defaultKubeconfigPath is where kubectl reads first: $KUBECONFIG's first file, or ~/.kube/config.
func defaultKubeconfigPath() string {
	if files := filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar)); len(files) > 0 && files[0] != "" {
		return files[0]
	}
	return clientcmd.RecommendedHomeFile
}

// mergeKubeconfig adds the clusters, users and contexts of fresh to the kubeconfig at path (created when
// missing), replacing entries of the same names, and makes fresh's context current when use is set. Other
// entries are kept as they are.
func mergeKubeconfig(path string, fresh *clientcmdapi.Config, use bool) error {
	cfg, err := clientcmd.LoadFromFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		cfg = clientcmdapi.NewConfig()
	case err != nil:
		return fmt.Errorf("read the kubeconfig %s (fix it, or pass --kubeconfig or --print): %w", path, err)
	}
	for k, v := range fresh.Clusters {
		cfg.Clusters[k] = v
	}
	for k, v := range fresh.AuthInfos {
		cfg.AuthInfos[k] = v
	}
	for k, v := range fresh.Contexts {
		cfg.Contexts[k] = v
	}
	if use || cfg.CurrentContext == "" {
		cfg.CurrentContext = fresh.CurrentContext
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write the kubeconfig %s: %w", path, err)
	}
	// It holds credentials.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("restrict the kubeconfig %s to its owner: %w", path, err)
	}
	return nil
}
