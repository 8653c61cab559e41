// SPDX-License-Identifier: GPL-2.0
// A ring buffer producer: one event per packet with its length. Load and Attach it to an interface,
// then Show Events on packet_events: every packet appears as a row (length, interface).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct packet_event {
	__u32 length;
	__u32 ingress_ifindex;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} packet_events SEC(".maps");

/* clang puts a type into BTF only when a map, a global or a function signature uses it; this
 * global does, so that tools (the events view) can decode the records. */
struct packet_event *unused_packet_event __attribute__((unused));

SEC("xdp")
int report_size(struct xdp_md *ctx)
{
	struct packet_event *event = bpf_ringbuf_reserve(&packet_events, sizeof(*event), 0);

	if (!event)
		return XDP_PASS; /* ring full: drop the event, never the packet */
	event->length = ctx->data_end - ctx->data;
	event->ingress_ifindex = ctx->ingress_ifindex;
	bpf_ringbuf_submit(event, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
