/* passthrough.c: the benchmark's baseline, what a user would write instead of difs: a minimal
 * libfuse3 low-level file system showing one file, `data`, over an image file with pread/pwrite,
 * no checks. It is configured like difs wherever that changes speed: direct I/O, max_write of
 * 1 MiB, page-aligned per-thread read buffers, flush and fsync calling fsync(2), the same request
 * loop options (-s, -o clone_fd, -o max_threads=N, -o max_idle_threads=N) and default_permissions.
 *
 * Built by Mount/bench.sh:  cc -O2 passthrough.c $(pkg-config --cflags --libs fuse3) -lpthread
 * Usage: passthrough IMAGE MOUNTPOINT [-f] [-s] [-o OPT,...]
 */
#define FUSE_USE_VERSION 314
#define _GNU_SOURCE
#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ROOT_INO = 1, DATA_INO = 2 };
#define MAX_REQUEST_BYTES (1u << 20) /* difs's max_write: libfuse 3.14's buffer holds 256 pages */

struct image {
	int fd;
	struct stat st; /* taken at mount; the size never changes */
};

static struct image *image_of(fuse_req_t req) { return fuse_req_userdata(req); }

static void stat_of(const struct image *im, fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_mtim = im->st.st_mtim;
	st->st_ctim = im->st.st_ctim;
	st->st_atim = im->st.st_atim;
	if (ino == ROOT_INO) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | (im->st.st_mode & 0666);
		st->st_nlink = 1;
		st->st_size = im->st.st_size;
		st->st_blocks = (im->st.st_size + 511) / 512;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_write = MAX_REQUEST_BYTES;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != ROOT_INO || strcmp(name, "data") != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	e.ino = DATA_INO;
	e.attr_timeout = 1.0;
	e.entry_timeout = 1.0;
	stat_of(image_of(req), DATA_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != ROOT_INO && ino != DATA_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	stat_of(image_of(req), ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)fi;
	if (ino != ROOT_INO) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	static const char *const names[] = { ".", "..", "data" };
	static const fuse_ino_t inos[] = { ROOT_INO, ROOT_INO, DATA_INO };
	char buf[512];
	size_t used = 0;
	size_t limit = size < sizeof(buf) ? size : sizeof(buf);
	for (off_t i = off; i < 3; i++) {
		struct stat st;
		stat_of(image_of(req), inos[i], &st);
		size_t need = fuse_add_direntry(req, buf + used, limit - used, names[i], &st, i + 1);
		if (need > limit - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != DATA_INO) {
		fuse_reply_err(req, ino == ROOT_INO ? EISDIR : ENOENT);
		return;
	}
	fi->direct_io = 1;
	fuse_reply_open(req, fi);
}

/* One page-aligned buffer per serving thread, kept for the thread's life (as difs reuses its
 * buffers): no allocation per request. */
static pthread_key_t buffer_key;

static void *thread_buffer(void)
{
	void *buf = pthread_getspecific(buffer_key);
	if (buf == NULL) {
		if (posix_memalign(&buf, 4096, MAX_REQUEST_BYTES) != 0)
			return NULL;
		pthread_setspecific(buffer_key, buf);
	}
	return buf;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	char *buf = thread_buffer();
	if (buf == NULL) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (size > MAX_REQUEST_BYTES)
		size = MAX_REQUEST_BYTES;
	size_t done = 0;
	while (done < size) {
		ssize_t n = pread(image_of(req)->fd, buf + done, size - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fuse_reply_err(req, errno);
			return;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	fuse_reply_buf(req, buf, done);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	size_t done = 0;
	while (done < size) {
		ssize_t n = pwrite(image_of(req)->fd, buf + done, size - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fuse_reply_err(req, errno);
			return;
		}
		done += (size_t)n;
	}
	fuse_reply_write(req, done);
}

/* difs flushes the image on flush and fsync alike (as QEMU's FUSE export does); so does this. */
static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, fsync(image_of(req)->fd) == 0 ? 0 : errno);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)datasync;
	op_flush(req, ino, fi);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.flush = op_flush,
	.fsync = op_fsync,
};

int main(int argc, char *argv[])
{
	if (argc < 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: passthrough IMAGE MOUNTPOINT [-f] [-s] [-o OPT,...]\n");
		return 2;
	}
	struct image im;
	im.fd = open(argv[1], O_RDWR);
	if (im.fd < 0 || fstat(im.fd, &im.st) != 0) {
		fprintf(stderr, "passthrough: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	pthread_key_create(&buffer_key, free);

	/* IMAGE is ours; libfuse's helper parses the rest (mount point, -f, -s, loop options). */
	argv[1] = argv[0];
	struct fuse_args args = FUSE_ARGS_INIT(argc - 1, argv + 1);
	struct fuse_cmdline_opts opts;
	if (fuse_parse_cmdline(&args, &opts) != 0 || opts.mountpoint == NULL) {
		fprintf(stderr, "passthrough: bad arguments\n");
		return 2;
	}
	fuse_opt_add_arg(&args, "-odefault_permissions");
	if (opts.debug)
		fuse_opt_add_arg(&args, "-odebug");

	int ret = 1;
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), &im);
	if (se == NULL)
		goto out_args;
	if (fuse_set_signal_handlers(se) != 0)
		goto out_session;
	if (fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_handlers;
	fuse_daemonize(opts.foreground);
	if (opts.singlethread) {
		ret = fuse_session_loop(se);
	} else {
		struct fuse_loop_config *config = fuse_loop_cfg_create();
		fuse_loop_cfg_set_clone_fd(config, (unsigned int)opts.clone_fd);
		fuse_loop_cfg_set_max_threads(config, opts.max_threads);
		/* The helper leaves UINT_MAX ("never destroy idle threads", libfuse's default) when
		 * the option is absent; handing that to the setter only earns a warning in 3.14. */
		if (opts.max_idle_threads != UINT_MAX)
			fuse_loop_cfg_set_idle_threads(config, opts.max_idle_threads);
		ret = fuse_session_loop_mt(se, config);
		fuse_loop_cfg_destroy(config);
	}
	fuse_session_unmount(se);
out_handlers:
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_args:
	free(opts.mountpoint);
	fuse_opt_free_args(&args);
	close(im.fd);
	return ret < 0 ? 1 : 0;
}
