package memcg

import "testing"

func TestCgroupDiscovery(t *testing.T) {
	const mountinfo = `25 30 0:22 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory
26 30 0:23 / /sys/fs/cgroup/cpu rw,relatime shared:10 - cgroup cgroup rw,cpu
27 30 0:24 / /sys/fs/cgroup/unified rw,relatime shared:11 - cgroup2 cgroup2 rw
`
	v1, v2 := cgroupMounts([]byte(mountinfo))
	if v1.point != "/sys/fs/cgroup/memory" || v2.point != "/sys/fs/cgroup/unified" {
		t.Errorf("mounts: v1 %+v, v2 %+v", v1, v2)
	}
	const own = "8:pids:/\n4:memory:/process_api/abc\n1:cpu,cpuacct:/x\n0::/\n"
	paths := ownCgroups([]byte(own))
	if paths["memory"] != "/process_api/abc" || paths["cpuacct"] != "/x" || paths["v2"] != "/" {
		t.Errorf("ownCgroups = %v", paths)
	}
	dir := "/sys/fs/cgroup/memory/process_api/abc/mmapbench-oom-1-1"
	inside := []byte("4:memory:/process_api/abc/mmapbench-oom-1-1\n0::/\n")
	if !ContainsPath(inside, dir, 1) {
		t.Errorf("containsPath: a process in %s is not seen inside it", dir)
	}
	if ContainsPath([]byte(own), dir, 1) || ContainsPath(inside, dir, 2) {
		t.Errorf("containsPath: a process outside %s is seen inside it", dir)
	}
}
