package servercmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/naas-dev/naas/internal/platform"
)

// newMemberRBACCommand prints what gives naas its rights on a member cluster (platform.MemberRBAC).
func newMemberRBACCommand() *cobra.Command {
	var namespace, name string
	cmd := &cobra.Command{
		Use:   "member-rbac",
		Short: "Print the ServiceAccount and ClusterRole naas acts as on a member cluster",
		Long: `member-rbac prints, as YAML for kubectl apply, the objects that give naas exactly the rights it needs on a
member cluster of a fleet: a namespace, a ServiceAccount, a ClusterRole and its binding. Apply them on the member,
then register the member with a token of that ServiceAccount:

  naas member-rbac | kubectl --context member-1 apply -f -
  kubectl --context member-1 -n naas-system create token naas --duration 8760h
  naas cluster register member-1 --kubeconfig member-1-naas.kubeconfig`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, obj := range platform.MemberRBAC(namespace, name) {
				b, err := yaml.Marshal(obj)
				if err != nil {
					return err
				}
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "---\n%s", b); err != nil {
					return err
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&namespace, "namespace", "naas-system", "namespace of naas's ServiceAccount on the member")
	cmd.Flags().StringVar(&name, "name", "naas", "name of the ServiceAccount, ClusterRole and ClusterRoleBinding")
	return cmd
}
