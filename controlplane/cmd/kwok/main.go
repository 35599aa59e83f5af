// Command kwok is the kwok controller (sigs.k8s.io/kwok): it plays the lifecycle of simulated nodes and of the
// pods bound to them, so that a local control plane without kubelets still runs workloads as far as the API
// can tell. naas runs it beside kube-scheduler in `naas up`; it is for local use only.
//
// With no --config, it plays kwok's default stages, those kwokctl uses (kustomize/stage/fast): a node becomes
// Ready and keeps its lease, a pod becomes Running and ready, a finished pod completes and a deleted pod goes.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	nodefast "sigs.k8s.io/kwok/kustomize/stage/node/fast"
	nodelease "sigs.k8s.io/kwok/kustomize/stage/node/heartbeat-with-lease"
	podfast "sigs.k8s.io/kwok/kustomize/stage/pod/fast"
	"sigs.k8s.io/kwok/pkg/config"
	"sigs.k8s.io/kwok/pkg/kwok/cmd"
	"sigs.k8s.io/kwok/pkg/log"
	"sigs.k8s.io/kwok/pkg/utils/signals"
)

// defaultStages are kwok's stages for nodes and pods, as kwokctl installs them.
var defaultStages = []string{
	nodefast.DefaultNodeInit,
	nodelease.DefaultNodeHeartbeatWithLease,
	podfast.DefaultPodReady,
	podfast.DefaultPodComplete,
	podfast.DefaultPodDelete,
}

func main() {
	if !hasConfig(os.Args[1:]) {
		if err := defaultStagesOnStdin(); err != nil {
			fmt.Fprintln(os.Stderr, "kwok: default stages:", err)
			os.Exit(1)
		}
		os.Args = append(os.Args, "--config=-")
	}

	// What follows is kwok's own main (cmd/kwok/main.go).
	flagset := pflag.NewFlagSet("global", pflag.ContinueOnError)
	flagset.ParseErrorsAllowlist.UnknownFlags = true
	flagset.Usage = func() {}

	ctx := signals.SetupSignalContext()
	ctx, logger := log.InitFlags(ctx, flagset)

	ctx, err := config.InitFlags(ctx, flagset)
	if err != nil {
		_, _ = os.Stderr.Write([]byte(flagset.FlagUsages()))
		logger.Error("Init config flags", "err", err)
		os.Exit(1)
	}

	command := cmd.NewCommand(ctx)
	command.PersistentFlags().AddFlagSet(flagset)
	if err := command.ExecuteContext(ctx); err != nil {
		logger.Error("Execute exit", "err", err)
		os.Exit(1)
	}
}

// hasConfig reports whether args name a configuration (-c, --config).
func hasConfig(args []string) bool {
	for _, a := range args {
		if a == "-c" || a == "--config" || strings.HasPrefix(a, "-c=") || strings.HasPrefix(a, "--config=") {
			return true
		}
	}
	return false
}

// defaultStagesOnStdin makes standard input the default stages, which --config=- then reads: kwok loads its
// configuration only from files, and a binary that needs no file beside it is simpler to run.
func defaultStagesOnStdin() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	// The stages are a few kilobytes, well under a pipe's buffer: the write cannot block.
	if _, err := w.WriteString(strings.Join(defaultStages, "\n---\n")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	os.Stdin = r
	return nil
}
