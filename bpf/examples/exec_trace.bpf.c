// SPDX-License-Identifier: GPL-2.0
// Counts program executions per parent process using the kernel's own types from vmlinux.h
// (generate it with "eBPF: Generate vmlinux.h") and CO-RE reads that survive kernel upgrades.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, pid_t);  /* parent's tgid */
	__type(value, u64); /* children executed */
} execs_by_parent SEC(".maps");

SEC("tp_btf/sched_process_exec")
int BPF_PROG(count_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	pid_t parent = BPF_CORE_READ(task, real_parent, tgid);
	u64 one = 1, *count;

	count = bpf_map_lookup_elem(&execs_by_parent, &parent);
	if (count)
		__sync_fetch_and_add(count, 1);
	else
		bpf_map_update_elem(&execs_by_parent, &parent, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
