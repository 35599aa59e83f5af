package localcp

import (
	"os"
	"syscall"
)

// dieWithParent makes the kernel kill the child when the thread that started it ends, which startProcess
// arranges to be when naas ends, however it ends (kill -9 included): etcd, kube-apiserver and
// kube-controller-manager never outlive the naas up or test process that started them.
func dieWithParent(attr *syscall.SysProcAttr) *syscall.SysProcAttr {
	attr.Pdeathsig = syscall.SIGKILL
	return attr
}

// killGroup kills the process group that p leads.
func killGroup(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
