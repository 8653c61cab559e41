// SPDX-License-Identifier: GPL-2.0
// The busy producer of `npm run bench -- events`: every run of this XDP program reserves one
// 40-byte record in a 16 MiB ring buffer and counts reservations that failed (ring full).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct sample {
	__u32 pid;
	__u32 seq;
	__u64 ts;
	char comm[16];
	__u64 value;
};

struct sample *unused_sample __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} samples SEC(".maps");

/* [0]: records written, [1]: reservations that failed because the ring was full */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} produced SEC(".maps");

SEC("xdp")
int produce(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&produced, &key);

	if (!n)
		return XDP_PASS;
	struct sample *s = bpf_ringbuf_reserve(&samples, sizeof(struct sample), 0);
	if (!s) {
		key = 1;
		__u64 *full = bpf_map_lookup_elem(&produced, &key);
		if (full)
			*full += 1;
		return XDP_PASS;
	}
	s->pid = 1;
	s->seq = (__u32)*n;
	s->ts = bpf_ktime_get_ns();
	__builtin_memcpy(s->comm, "bench", 6);
	s->value = *n;
	*n += 1;
	bpf_ringbuf_submit(s, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
