/* floor.c: what any checked read of a QEMU-layout image must add to a plain read, whatever the
 * code around it: the metadata's own pread (the separate layout keeps it after all the data) and
 * the guards' CRC over every byte, on this CPU's fastest CRC path (difs's CDifsCRC, linked from
 * Sources/CDifsCRC). No FUSE, no Swift: a floor for difs, not a model of it.
 *
 * Built by Mount/bench.sh:  cc -O2 -I Sources/CDifsCRC/include floor.c Sources/CDifsCRC/(every .c) -lpthread
 * Usage: floor IMAGE BLOCK_SIZE METADATA_SIZE 16|64 REQUEST_BYTES
 *   Requests of REQUEST_BYTES at random whole-request offsets over the image's data (all of it in
 *   the page cache, as the benchmark's /dev/shm images are), each read two ways, alternating in
 *   rounds: (a) one pread of the data, as the passthrough does; (b) that pread, a pread of the
 *   requests' metadata, and the guards of its blocks. Prints one line: the median over the rounds
 *   of the extra nanoseconds per request (b - a), then the medians of a and b.
 */
#define _GNU_SOURCE
#include "difs_crc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { ROUNDS = 9 };

static double now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n) {
	qsort(v, n, sizeof *v, by_value);
	return v[n / 2];
}

int main(int argc, char **argv) {
	if (argc != 6) {
		fprintf(stderr, "usage: floor IMAGE BLOCK_SIZE METADATA_SIZE 16|64 REQUEST_BYTES\n");
		return 2;
	}
	size_t lbs = strtoul(argv[2], NULL, 10), ms = strtoul(argv[3], NULL, 10);
	int guard = atoi(argv[4]);
	size_t request = strtoul(argv[5], NULL, 10);
	int fd = open(argv[1], O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(argv[1]);
		return 1;
	}
	if (lbs == 0 || request < lbs || request % lbs != 0 || (guard != 16 && guard != 64)) {
		fprintf(stderr, "floor: bad arguments\n");
		return 2;
	}
	uint64_t blocks = (uint64_t)st.st_size / (lbs + ms);
	uint64_t data_size = blocks * lbs, requests = data_size / request;
	size_t per = request / lbs;
	if (requests == 0) {
		fprintf(stderr, "floor: image smaller than one request\n");
		return 2;
	}
	unsigned char *buf = aligned_alloc(4096, request + per * ms + 4096);
	uint64_t *guards = malloc(per * sizeof *guards);
	/* About 0.25 s of reads per way and round at the passthrough's speed, at least 64 requests. */
	size_t count = request >= (1u << 20) ? 64 : 20000;
	uint64_t *at = malloc(count * sizeof *at);
	srandom(7);
	for (size_t i = 0; i < count; i++) at[i] = ((uint64_t)random() % requests) * request;

	double plain[ROUNDS], checked[ROUNDS], extra[ROUNDS];
	for (int r = 0; r < ROUNDS; r++) {
		double t[2];
		for (int k = 0; k < 2; k++) {
			int with_checks = (k + r) % 2; /* alternate which way goes first */
			double t0 = now_ns();
			for (size_t i = 0; i < count; i++) {
				if (pread(fd, buf, request, (off_t)at[i]) != (ssize_t)request) return 1;
				if (!with_checks) continue;
				if (ms > 0 && pread(fd, buf + request, per * ms, (off_t)(data_size + at[i] / lbs * ms)) < 0) return 1;
				if (guard == 16) difs_crc16_t10dif_blocks(buf, lbs, lbs, NULL, 0, 0, per, (uint16_t *)guards);
				else difs_crc64_nvme_blocks(buf, lbs, lbs, NULL, 0, 0, per, guards);
			}
			t[with_checks] = (now_ns() - t0) / count;
		}
		plain[r] = t[0];
		checked[r] = t[1];
		extra[r] = t[1] - t[0];
	}
	printf("%.0f %.0f %.0f\n", median(extra, ROUNDS), median(plain, ROUNDS), median(checked, ROUNDS));
	return 0;
}
