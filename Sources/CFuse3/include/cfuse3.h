/* The one C header difs imports for FUSE: pins the libfuse3 API version and adds the few
 * shims Swift needs where libfuse exposes a macro instead of a function. */
#ifndef CFUSE3_H
#define CFUSE3_H

#define FUSE_USE_VERSION 314
#include <stddef.h>
#include <fuse_lowlevel.h>

/* fuse_session_loop_mt is a macro that picks a versioned symbol, which Swift cannot call;
 * this wraps the config-object form of libfuse >= 3.12. Every field is set from difs's own
 * values: max_threads explicitly (libfuse's default of 10 otherwise), and max_idle_threads only
 * when asked for (`max_idle_threads < 0`: keep idle threads, libfuse's own default). libfuse 3.14's
 * setter refuses "unlimited" (UINT_MAX, what its command-line helper stores when the option is
 * absent) with `Ignoring invalid max threads value 4294967295 > max (100000).` on stderr, so
 * that value must never reach it. */
static inline int cfuse3_session_loop_mt(struct fuse_session *se, unsigned int max_threads,
                                         int max_idle_threads, int clone_fd) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL)
        return -1;
    fuse_loop_cfg_set_clone_fd(config, (unsigned int)clone_fd);
    fuse_loop_cfg_set_max_threads(config, max_threads);
    if (max_idle_threads >= 0)
        fuse_loop_cfg_set_idle_threads(config, (unsigned int)max_idle_threads);
    int ret = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return ret;
}

#endif
