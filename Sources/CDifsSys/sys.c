// fallocate(2) for Swift (see difs_sys.h for why a shim).
#define _GNU_SOURCE
#include <fcntl.h>
#include "difs_sys.h"

int difs_fallocate(int fd, int mode, int64_t byte_offset, int64_t length) {
    return fallocate(fd, mode, (off_t)byte_offset, (off_t)length);
}
