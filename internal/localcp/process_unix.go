//go:build unix && !linux

package localcp

import (
	"os"
	"syscall"
)

// dieWithParent has no kernel support outside Linux: there, a control plane whose naas was killed with
// SIGKILL keeps running until it is stopped by hand (a normal exit of naas still stops it).
func dieWithParent(attr *syscall.SysProcAttr) *syscall.SysProcAttr { return attr }

// killGroup kills the process group that p leads.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
