package servercmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"
)

// memoryOptions are the flags that size naas's memory: Go's soft memory limit (GOMEMLIMIT) is derived from the
// memory naas may use in all, the container's limit or --memory-limit.
type memoryOptions struct {
	ratio float64
	total string // --memory-limit, a quantity
}

func (o *memoryOptions) addFlags(f *pflag.FlagSet) {
	f.Float64Var(&o.ratio, "auto-gomemlimit-ratio", 0.9, "unless GOMEMLIMIT is set, set Go's soft memory limit to this fraction of the memory naas may use (the container's limit, or --memory-limit), less the pages of naas's own code in memory, so that the collector works harder before the container is OOM-killed; 0 turns this off")
	f.StringVar(&o.total, "memory-limit", "", "the memory naas may use in all, e.g. 512Mi, where it cannot read its container's limit (a VM, a systemd unit); Go's soft memory limit is derived from it as from a container's (default: the container's limit, if any)")
}

// refreshMemoryLimit is how often the soft limit follows the pages of naas's code in memory, which grow as more
// of it runs.
const refreshMemoryLimit = 30 * time.Second

// softMemoryLimit returns Go's soft memory limit for a process that may use total bytes in all: ratio of it, less
// fileRSS, the resident pages of the binary, which count against a container's limit but which Go's limit does
// not cover. It never goes below half of ratio of total, so that a binary larger than its share cannot leave the
// heap no room at all.
func softMemoryLimit(total int64, ratio float64, fileRSS int64) int64 {
	share := int64(float64(total) * ratio)
	return max(share-fileRSS, share/2)
}

// residentFileBytes returns RssFile of /proc/self/status (the process's resident file-backed pages: its code and
// read-only data), 0 where there is no such file.
func residentFileBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	return parseRssFile(f)
}

// parseRssFile reads the RssFile line of a /proc/<pid>/status, 0 if there is none.
func parseRssFile(r io.Reader) int64 {
	s := bufio.NewScanner(r)
	for s.Scan() {
		rest, ok := bytes.CutPrefix(s.Bytes(), []byte("RssFile:"))
		if !ok {
			continue
		}
		fields := bytes.Fields(rest)
		if len(fields) != 2 || string(fields[1]) != "kB" {
			return 0
		}
		kb, err := strconv.ParseInt(string(fields[0]), 10, 64)
		if err != nil {
			return 0
		}
		return kb << 10
	}
	return 0
}

// apply sets Go's soft memory limit from the memory naas may use, and keeps it up to date until ctx is done. An
// explicit GOMEMLIMIT wins; with neither a container limit nor --memory-limit nothing changes. log gets one line
// saying what was set.
func (o *memoryOptions) apply(ctx context.Context, log func(format string, args ...any)) error {
	if o.ratio < 0 || o.ratio > 1 {
		return fmt.Errorf("--auto-gomemlimit-ratio must be between 0 and 1 (0 turns it off), not %g", o.ratio)
	}
	var total int64
	source := "--memory-limit"
	if o.total != "" {
		q, err := resource.ParseQuantity(o.total)
		if err != nil || q.Value() <= 0 {
			return fmt.Errorf("--memory-limit %q is not a positive quantity of bytes, such as 512Mi or 1Gi", o.total)
		}
		total = q.Value()
	}
	if o.ratio == 0 || os.Getenv("GOMEMLIMIT") != "" {
		return nil
	}
	if total == 0 {
		limit, err := memlimit.FromCgroup()
		switch {
		case errors.Is(err, memlimit.ErrNoCgroup), errors.Is(err, memlimit.ErrCgroupsNotSupported), errors.Is(err, memlimit.ErrNoLimit):
			return nil
		case err != nil:
			log("! Go's memory limit not set from the container's: %v", err)
			return nil
		case limit == 0 || limit > 1<<62:
			return nil
		}
		total, source = int64(limit), "the container's limit"
	}
	file := residentFileBytes()
	soft := softMemoryLimit(total, o.ratio, file)
	debug.SetMemoryLimit(soft)
	log("✓ Go's soft memory limit: %d MiB (%g of %s, %d MiB, less %d MiB of naas's code in memory)",
		soft>>20, o.ratio, source, total>>20, file>>20)
	go func() {
		t := time.NewTicker(refreshMemoryLimit)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if next := softMemoryLimit(total, o.ratio, residentFileBytes()); next != soft {
					soft = next
					debug.SetMemoryLimit(soft)
				}
			}
		}
	}()
	return nil
}
