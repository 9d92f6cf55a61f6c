package proc

import (
	"path"
	"strings"
)

// CgroupUnavailable reports why no cgroup v2 group can be used for
// containment: no cgroup2 file system is mounted, it is mounted read-only,
// the process is in no cgroup v2 group, or the group is not reachable
// through any mount.
type CgroupUnavailable struct {
	Reason string
	Err    error
}

func (e *CgroupUnavailable) Error() string {
	if e.Err != nil {
		return "cgroup v2 unavailable: " + e.Reason + ": " + e.Err.Error()
	}
	return "cgroup v2 unavailable: " + e.Reason
}

func (e *CgroupUnavailable) Unwrap() error { return e.Err }

// FindCgroup2 returns the directory of the calling process's own cgroup v2
// group, given the text of /proc/self/mountinfo and of /proc/self/cgroup. It
// is a pure function: it reads nothing.
//
// The group is the "0::PATH" line of the cgroup file (on a hybrid system
// the v1 hierarchies have lines of their own, which are ignored). PATH is
// relative to the root of the cgroup namespace; a cgroup2 mount whose root
// (field 4 of mountinfo) is PATH or one of its ancestors reaches it, at
// mount point + the rest of PATH. A writable mount is preferred; when only
// read-only ones reach the group the result is *CgroupUnavailable. Mount
// points are unescaped (mountinfo writes a space as \040).
func FindCgroup2(mountinfo, selfCgroup string) (string, error) {
	group, ok := "", false
	for _, line := range strings.Split(selfCgroup, "\n") {
		if rest, found := strings.CutPrefix(line, "0::"); found {
			group, ok = strings.TrimSuffix(rest, " (deleted)"), true
			break
		}
	}
	if !ok || !strings.HasPrefix(group, "/") {
		return "", &CgroupUnavailable{Reason: "the process is in no cgroup v2 group"}
	}
	group = path.Clean(group)
	mounted, readOnly := false, false
	for _, line := range strings.Split(mountinfo, "\n") {
		m, ok := parseMountinfoLine(line)
		if !ok || m.fstype != "cgroup2" {
			continue
		}
		mounted = true
		rel, ok := under(group, m.root)
		if !ok {
			continue
		}
		if m.readOnly {
			readOnly = true
			continue
		}
		return path.Join(m.point, rel), nil
	}
	switch {
	case readOnly:
		return "", &CgroupUnavailable{Reason: "the cgroup2 file system is mounted read-only"}
	case mounted:
		return "", &CgroupUnavailable{Reason: "no cgroup2 mount reaches the group " + group}
	}
	return "", &CgroupUnavailable{Reason: "no cgroup2 file system is mounted"}
}

type mountLine struct {
	root, point, fstype string
	readOnly            bool
}

// parseMountinfoLine splits "ID PARENT MAJ:MIN ROOT POINT OPTIONS
// [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS".
func parseMountinfoLine(line string) (mountLine, bool) {
	before, after, ok := strings.Cut(line, " - ")
	if !ok {
		return mountLine{}, false
	}
	f := strings.Fields(before)
	g := strings.Fields(after)
	if len(f) < 6 || len(g) < 1 {
		return mountLine{}, false
	}
	m := mountLine{root: unescapeMount(f[3]), point: unescapeMount(f[4]), fstype: g[0]}
	for _, o := range strings.Split(f[5], ",") {
		if o == "ro" {
			m.readOnly = true
		}
	}
	if len(g) >= 3 {
		for _, o := range strings.Split(g[2], ",") {
			if o == "ro" {
				m.readOnly = true
			}
		}
	}
	return m, true
}

// under returns group relative to root when root is group or an ancestor.
func under(group, root string) (string, bool) {
	root = path.Clean(root)
	if root == "/" {
		return group, true
	}
	if group == root {
		return "/", true
	}
	if rest, ok := strings.CutPrefix(group, root+"/"); ok {
		return "/" + rest, true
	}
	return "", false
}

// unescapeMount undoes the octal escapes (\040 for a space, \011, \012,
// \134) the kernel writes in mountinfo paths.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
