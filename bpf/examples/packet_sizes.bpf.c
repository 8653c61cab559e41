// SPDX-License-Identifier: GPL-2.0
// A ring buffer producer: one event per packet with its length. User space (or the map explorer)
// sees the producer position move as events are written.
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
