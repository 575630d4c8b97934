package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// The CPU a phase cost the server and the database, per text: a figure that
// holds on a machine busy with other work, where rates and latencies move
// with the neighbours (the cores are shared, the work per text is not).

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ).
const clockTick = 10 * time.Millisecond

// cpuUse is the CPU time used so far by the server process and by the
// private cluster (its postmaster, the backends it has reaped, the ones
// alive).
type cpuUse struct{ server, postgres time.Duration }

// procTimes answers a process's utime+stime and cutime+cstime, from
// /proc/PID/stat.
func procTimes(pid int) (own, children time.Duration, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command may hold spaces and parentheses: the fields start after
	// the last ')'. Then: state(3) … utime(14) stime(15)
	// cutime(16) cstime(17), numbered as in proc(5).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0, 0, false
	}
	n := func(i int) time.Duration {
		v, _ := strconv.ParseInt(f[i-3], 10, 64)
		return time.Duration(v) * clockTick
	}
	return n(14) + n(15), n(16) + n(17), true
}

// cpuNow reads the CPU used so far (zero parts it could not read). The
// cluster's backends that ended count through their postmaster's reaped
// children's times (which schedstat's threads leave out).
func (e *env) cpuNow() cpuUse {
	var u cpuUse
	if e.server != nil {
		u.server, _, _ = procTimes(e.server.Process.Pid)
	}
	for i, pid := range e.postgresPIDs() { // the postmaster first
		own, reaped, ok := procTimes(pid)
		if !ok {
			continue
		}
		u.postgres += own
		if i == 0 {
			u.postgres += reaped
		}
	}
	return u
}

// perText says what the CPU used between before and after cost per text.
func perText(before, after cpuUse, texts int64) string {
	if texts <= 0 {
		return "no text"
	}
	per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(texts) }
	return fmt.Sprintf("server %.2f ms, PostgreSQL %.2f ms", per(after.server-before.server), per(after.postgres-before.postgres))
}
