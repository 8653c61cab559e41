// SPDX-License-Identifier: GPL-2.0
// Every program started on this machine: counts executions per parent process in an LRU hash, prints
// a line to the trace console (bpf_printk) and sends an event with pid, parent and command to a ring
// buffer. Uses the kernel's own types from vmlinux.h ("eBPF: Generate vmlinux.h") and CO-RE reads
// that survive kernel upgrades. Load and Attach it, then open the eBPF Trace console and Show Events
// on exec_events, and run a few commands.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

struct exec_event {
	pid_t pid;
	pid_t parent;
	u64 count; /* children the parent has started so far */
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, pid_t);  /* parent's tgid */
	__type(value, u64); /* children executed */
} execs_by_parent SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} exec_events SEC(".maps");

/* Puts struct exec_event into the object's BTF (clang emits types that globals use), so that the
 * events view can decode the ring buffer's records. */
struct exec_event *unused_exec_event __attribute__((unused));

SEC("tp_btf/sched_process_exec")
int BPF_PROG(count_exec, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	pid_t parent = BPF_CORE_READ(task, real_parent, tgid);
	u64 one = 1, *count, children = 1;
	struct exec_event *e;

	count = bpf_map_lookup_elem(&execs_by_parent, &parent);
	if (count)
		children = __sync_fetch_and_add(count, 1) + 1;
	else
		bpf_map_update_elem(&execs_by_parent, &parent, &one, BPF_NOEXIST);

	e = bpf_ringbuf_reserve(&exec_events, sizeof(struct exec_event), 0);
	if (e) {
		e->pid = BPF_CORE_READ(task, tgid);
		e->parent = parent;
		e->count = children;
		bpf_get_current_comm(e->comm, sizeof(e->comm));
		bpf_printk("exec %s pid %d by %d", e->comm, e->pid, parent);
		bpf_ringbuf_submit(e, 0);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
