// System calls Swift cannot reach through Glibc's module: fallocate(2) and its mode flags are
// declared only under _GNU_SOURCE, which Swift's import does not set.
#ifndef DIFS_SYS_H
#define DIFS_SYS_H
#include <stdint.h>

#define DIFS_FALLOC_KEEP_SIZE 0x01
#define DIFS_FALLOC_PUNCH_HOLE 0x02
#define DIFS_FALLOC_COLLAPSE_RANGE 0x08
#define DIFS_FALLOC_ZERO_RANGE 0x10
#define DIFS_FALLOC_INSERT_RANGE 0x20
#define DIFS_FALLOC_UNSHARE_RANGE 0x40

/// fallocate(2): 0 on success, -1 with errno set.
int difs_fallocate(int fd, int mode, int64_t byte_offset, int64_t length);

#endif
