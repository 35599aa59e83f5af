package servercmd

import "github.com/spf13/cobra"

// Commands returns the server commands: up, serve and member-rbac.
func Commands() []*cobra.Command {
	return []*cobra.Command{newUpCommand(), newServeCommand(), newMemberRBACCommand()}
}
