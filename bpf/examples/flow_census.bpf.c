// SPDX-License-Identifier: GPL-2.0
// Counts the elements of a hash map from inside BPF with bpf_for_each_map_elem: the callback gets a
// pointer to a context on the program's stack and returns 0 to continue (1 would stop the walk).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct flow_key {
	__u32 source;
	__u32 destination;
	__u16 source_port;
	__u16 destination_port;
	__u8 protocol;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u64);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} flow_total SEC(".maps");

struct census {
	__u64 elements;
	__u64 bytes;
};

static long count_flow(void *map, struct flow_key *key, __u64 *value, struct census *census)
{
	census->elements++;
	census->bytes += *value;
	return 0; /* keep walking */
}

/* Each run adds one flow derived from the packet length, then counts every flow. */
SEC("xdp")
int census_flows(struct xdp_md *ctx)
{
	struct flow_key key = {
		.source = ctx->data_end - ctx->data,
		.destination = 0x0a000001,
		.protocol = 6,
	};
	__u64 bytes = ctx->data_end - ctx->data;
	struct census census = {};
	__u32 zero = 0;

	bpf_map_update_elem(&flows, &key, &bytes, BPF_ANY);
	bpf_for_each_map_elem(&flows, count_flow, &census, 0);

	__u64 *total = bpf_map_lookup_elem(&flow_total, &zero);
	if (total)
		*total = census.elements;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
