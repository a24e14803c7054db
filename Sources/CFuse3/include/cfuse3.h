/* The one C header difs imports for FUSE: pins the libfuse3 API version and adds the few
 * shims Swift needs where libfuse exposes a macro instead of a function. */
#ifndef CFUSE3_H
#define CFUSE3_H

#define FUSE_USE_VERSION 314
#include <stddef.h>
#include <fuse_lowlevel.h>

/* fuse_session_loop_mt is a macro that picks a versioned symbol, which Swift cannot call;
 * this wraps the config-object form of libfuse >= 3.12. */
static inline int cfuse3_session_loop_mt(struct fuse_session *se, unsigned int max_idle_threads,
                                         int clone_fd) {
    struct fuse_loop_config *config = fuse_loop_cfg_create();
    if (config == NULL)
        return -1;
    fuse_loop_cfg_set_clone_fd(config, (unsigned int)clone_fd);
    fuse_loop_cfg_set_idle_threads(config, max_idle_threads);
    int ret = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    return ret;
}

#endif
