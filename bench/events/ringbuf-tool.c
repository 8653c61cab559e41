// The C side of `npm run bench -- events`: a libbpf ring buffer consumer (what a loader written in C
// does: ring_buffer__new + ring_buffer__poll, copying each record out) and the producer that keeps
// the ring busy (BPF_PROG_TEST_RUN of the bench's XDP program in a loop).
//   ringbuf-tool produce <prog id> <seconds>   prints the number of program runs
//   ringbuf-tool consume <map id> <seconds>    prints the number of records consumed
//   ringbuf-tool drain <map id> <records>      consumes that many records, prints the seconds it took
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static unsigned long long records;
static char copy[512];

static int on_record(void *ctx, void *data, size_t size)
{
	memcpy(copy, data, size < sizeof(copy) ? size : sizeof(copy));
	records++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	int id = atoi(argv[2]);
	double end = now() + atof(argv[3]);

	if (!strcmp(argv[1], "produce")) {
		int fd = bpf_prog_get_fd_by_id(id);
		char frame[64] = { 0 };
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = sizeof(frame), .repeat = 10000);
		unsigned long long runs = 0;

		if (fd < 0)
			return perror("program"), 1;
		while (now() < end) {
			if (bpf_prog_test_run_opts(fd, &opts))
				return perror("test run"), 1;
			runs += opts.repeat;
		}
		printf("%llu\n", runs);
		return 0;
	}
	int fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return perror("map"), 1;
	struct ring_buffer *rb = ring_buffer__new(fd, on_record, NULL, NULL);
	if (!rb)
		return perror("ring_buffer__new"), 1;
	if (!strcmp(argv[1], "drain")) {
		unsigned long long want = strtoull(argv[3], NULL, 10);
		double start = now();

		while (records < want)
			ring_buffer__poll(rb, 100);
		printf("%.6f\n", now() - start);
		ring_buffer__free(rb);
		return 0;
	}
	while (now() < end)
		ring_buffer__poll(rb, 100);
	ring_buffer__free(rb);
	printf("%llu\n", records);
	return 0;
}
