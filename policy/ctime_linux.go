package policy

import "syscall"

// statCtime returns the inode change time in nanoseconds.
func statCtime(st *syscall.Stat_t) (int64, bool) {
	return int64(st.Ctim.Sec)*1e9 + int64(st.Ctim.Nsec), true
}
