// SPDX-License-Identifier: GPL-2.0
// Counts IPv4 packets per source address in a hash map. Load and Attach it to an interface (lo
// works, in generic mode) or run it with "Test Run"; the map explorer shows the number of distinct
// sources live, and Show Contents the sources with their packet counts.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);   /* IPv4 source address, network byte order */
	__type(value, __u64); /* packets seen */
} packets_by_source SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;

	__u32 source = ip->saddr;
	__u64 *seen = bpf_map_lookup_elem(&packets_by_source, &source);
	if (seen) {
		__sync_fetch_and_add(seen, 1);
	} else {
		__u64 first = 1;
		bpf_map_update_elem(&packets_by_source, &source, &first, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
