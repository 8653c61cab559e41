// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Counts the elements of every map on the host in one read: an iterator over all maps that
// writes one binary record per map with the kfunc bpf_map_sum_elem_count() (Linux 6.6+).
// Exact for the hash family (it sums the per-CPU element counters the kernel keeps).
//
// The few kernel types are declared here with preserve_access_index instead of a generated
// vmlinux.h: libbpf relocates their field offsets against the target's BTF at load time (CO-RE),
// so this object builds on any machine, including one without /sys/kernel/btf/vmlinux.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct seq_file;

struct bpf_map {
	enum bpf_map_type map_type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries;
	__u32 id;
	char name[16];
} __attribute__((preserve_access_index));

struct bpf_iter_meta {
	struct seq_file *seq;
} __attribute__((preserve_access_index));

struct bpf_iter__bpf_map {
	struct bpf_iter_meta *meta;
	struct bpf_map *map;
} __attribute__((preserve_access_index));

extern __s64 bpf_map_sum_elem_count(const struct bpf_map *map) __ksym;

/* One record per map, read by src/helper/count.ts: with type, size and name in the record,
 * counting every map on the host needs no syscall per map. */
struct map_count_record {
	__u32 id;
	__u32 type;
	__u32 max_entries;
	__u32 pad;
	__s64 count;
	char name[16];
};

SEC("iter/bpf_map")
int map_count(struct bpf_iter__bpf_map *ctx)
{
	struct bpf_map *map = ctx->map;
	struct map_count_record rec = {};

	if (!map)
		return 0;
	rec.id = map->id;
	rec.type = map->map_type;
	rec.max_entries = map->max_entries;
	rec.count = bpf_map_sum_elem_count(map);
	bpf_probe_read_kernel_str(rec.name, sizeof(rec.name), map->name);
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
