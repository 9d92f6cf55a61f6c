package proc

import (
	"errors"
	"testing"
)

const hybridMountinfo = `22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`

func TestFindCgroup2(t *testing.T) {
	cases := []struct {
		name, mountinfo, cgroup, want, reason string
	}{
		{name: "hybrid, root group", mountinfo: hybridMountinfo,
			cgroup: "9:name=systemd:/\n4:memory:/a/b\n1:cpu:/\n0::/\n", want: "/sys/fs/cgroup/unified"},
		{name: "hybrid, nested group", mountinfo: hybridMountinfo,
			cgroup: "4:memory:/x\n0::/user.slice/user-0.slice/session-1.scope\n", want: "/sys/fs/cgroup/unified/user.slice/user-0.slice/session-1.scope"},
		{name: "unified at /sys/fs/cgroup",
			mountinfo: "25 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate",
			cgroup:    "0::/system.slice/corral.service\n", want: "/sys/fs/cgroup/system.slice/corral.service"},
		{name: "mount root is the group's ancestor (a container)",
			mountinfo: "600 590 0:23 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw",
			cgroup:    "0::/docker/abc/inner\n", want: "/sys/fs/cgroup/inner"},
		{name: "mount root is the group",
			mountinfo: "600 590 0:23 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw",
			cgroup:    "0::/docker/abc\n", want: "/sys/fs/cgroup"},
		{name: "escaped mount point",
			mountinfo: `40 30 0:37 / /mnt/my\040cgroups rw,relatime - cgroup2 cgroup2 rw`,
			cgroup:    "0::/g\n", want: "/mnt/my cgroups/g"},
		{name: "a read-only mount is skipped for a writable one",
			mountinfo: "40 30 0:37 / /ro rw,relatime - cgroup2 cgroup2 ro\n41 30 0:37 / /rw rw,relatime - cgroup2 cgroup2 rw",
			cgroup:    "0::/g\n", want: "/rw/g"},
		{name: "optional fields before the separator",
			mountinfo: "40 30 0:37 / /cg rw,relatime shared:9 master:2 - cgroup2 none rw",
			cgroup:    "0::/\n", want: "/cg"},
		{name: "v1 only", mountinfo: "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu",
			cgroup: "1:cpu:/\n0::/\n", reason: "no cgroup2 file system is mounted"},
		{name: "read-only", mountinfo: "40 30 0:37 / /cg ro,relatime - cgroup2 cgroup2 rw",
			cgroup: "0::/\n", reason: "the cgroup2 file system is mounted read-only"},
		{name: "no v2 line", mountinfo: hybridMountinfo,
			cgroup: "1:cpu:/\n", reason: "the process is in no cgroup v2 group"},
		{name: "mount does not reach the group",
			mountinfo: "600 590 0:23 /docker/abc /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw",
			cgroup:    "0::/docker/abcdef\n", reason: "no cgroup2 mount reaches the group /docker/abcdef"},
		{name: "empty", reason: "the process is in no cgroup v2 group"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := FindCgroup2(c.mountinfo, c.cgroup)
			if c.reason != "" {
				var cu *CgroupUnavailable
				if !errors.As(err, &cu) || cu.Reason != c.reason {
					t.Fatalf("got %q, %v; want the reason %q", got, err, c.reason)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}
