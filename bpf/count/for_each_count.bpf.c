// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Fallback counter for kernels without bpf_map_sum_elem_count(): bpf_for_each_map_elem() over
// one map, run once with BPF_PROG_TEST_RUN. The helper points `target` at the map to count
// (bpf_map__reuse_fd) before loading, so one object serves every map.
//
// - raw_tp, not syscall: sleepable (syscall) programs may not use LRU or per-CPU maps.
// - The count is 64-bit, so it goes to a global (.bss) the helper reads back, not to the
//   32-bit return value.
// - The callback's context points to the program's stack, and the callback returns 0
//   (continue): the verifier accepts only [0, 1] there.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} target SEC(".maps");

__u64 counted;

struct walk_state {
	__u64 seen;
};

static long count_one(void *map, void *key, void *value, struct walk_state *state)
{
	state->seen++;
	return 0;
}

SEC("raw_tp")
int for_each_count(void *ctx)
{
	struct walk_state state = {};

	bpf_for_each_map_elem(&target, count_one, &state, 0);
	counted = state.seen;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
