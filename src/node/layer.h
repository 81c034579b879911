/* layer.h — reading tar streams and applying OCI image layers to a root filesystem.
 *
 * The tar reader understands what image builders write (POSIX.1-1988 ustar, GNU and PAX,
 * https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html):
 *
 *   header block (512 bytes)   name[100] mode[8] uid[8] gid[8] size[12] mtime[12] chksum[8]
 *                              typeflag linkname[100] magic[6] version[2] uname[32] gname[32]
 *                              devmajor[8] devminor[8] prefix[155] (POSIX "ustar\0" "00")
 *   numbers                    octal (NUL/space terminated), or base-256 when the first byte
 *                              has its high bit set (GNU, for sizes and ids that do not fit)
 *   'x' PAX header             "LEN key=value\n" records for the next entry: path, linkpath,
 *                              size, uid, gid, mtime, SCHILY.xattr.NAME; 'g' is ignored
 *   'L' / 'K' (GNU)            the next entry's long name / long link name
 *   end                        a zero block (the second is not required)
 *
 * Applying a layer (image-spec `layer.md`) follows the entries in order: regular files ('0',
 * '7'), hard links ('1'), symlinks ('2'), devices ('3', '4'), directories ('5') and FIFOs ('6');
 * `.wh.NAME` removes NAME from the lower layers, `.wh..wh..opq` empties its directory of what
 * the lower layers put there; ownership (as root), modes (with setuid/setgid/sticky), mtimes
 * and the SCHILY.xattr attributes security.capability and user.* are kept (others, such as
 * trusted.overlay.*, which would steer overlayfs, are dropped). Entries of other types
 * (sparse 'S', volume labels, ...) are refused.
 *
 * Security boundary: a layer is untrusted input and the rootfs is written as root. Every
 * path is resolved inside the rootfs by the kernel (openat2 RESOLVE_IN_ROOT: symlinks,
 * absolute or relative, are followed as if the rootfs were "/"; a dangling one on the way
 * has its target created inside the rootfs, as containerd does), the last component is never
 * followed (an existing file is replaced, never written through), names with a ".."
 * component are refused, and a hard link's target must be inside the rootfs. Nothing outside
 * the rootfs is created, written, removed or changed. */
#ifndef ANZEN_NODE_LAYER_H
#define ANZEN_NODE_LAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Hard limits on what a tar stream can make the reader hold. */
#define TAR_MAX_NAME 4096          /* a path or link target */
#define TAR_MAX_PAX (1024 * 1024)  /* one PAX extended header */
#define TAR_MAX_XATTRS 64          /* extended attributes on one entry */

struct tar_xattr {
    char *name;     /* "security.capability" */
    char *value;    /* raw bytes (PAX values are binary-safe) */
    size_t len;
};

struct tar_entry {
    char type;                    /* typeflag: '0' file, '1' hardlink, '2' symlink, '3' chr,
                                   * '4' blk, '5' dir, '6' fifo ('\0' and '7' become '0') */
    char *path;                   /* as named in the archive (not cleaned) */
    char *link;                   /* link target ('1', '2'), else "" */
    uint32_t mode;                /* permission bits incl. setuid/setgid/sticky */
    int64_t uid, gid;
    int64_t size;                 /* bytes of content (regular files) */
    int64_t mtime;                /* seconds since the epoch */
    uint32_t devmajor, devminor;
    struct tar_xattr xattrs[TAR_MAX_XATTRS];
    size_t n_xattrs;
};

struct tar_reader;

/* A reader of the tar stream on fd (not closed by the reader; read sequentially, so a pipe
 * works). */
struct tar_reader *tar_reader_new(int fd);
void tar_reader_free(struct tar_reader *r);

/* The next entry into *e (owned by the reader, valid until the next call): 1 for an entry,
 * 0 at the end of the archive, a negative AZ_E* code with *ret_err (malloc'd) for a damaged
 * or unsupported stream. Unread content of the previous entry is skipped. */
int tar_next(struct tar_reader *r, struct tar_entry **e, char **ret_err);

/* Reads up to n bytes of the current entry's content: the count, 0 at its end, or a
 * negative AZ_E* code (a truncated stream). */
ssize_t tar_read(struct tar_reader *r, void *buf, size_t n);

/* Reads the whole content of the current entry (at most max bytes) into *ret (malloc'd,
 * NUL-terminated) and *ret_len. AZ_ETOOLARGE beyond max. */
int tar_read_all(struct tar_reader *r, size_t max, char **ret, size_t *ret_len);

/* Cleans an archive path: leading "/" and "./" dropped, "//" and "/./" collapsed, trailing
 * "/" dropped. NULL if a component is ".." or the path is too long; "" for the root. */
char *tar_clean_path(const char *path);

/* Applies the layer read from the uncompressed tar stream on tarfd to the rootfs open at
 * rootfd (a directory fd, O_PATH is enough). 0, or a negative AZ_E* code with *ret_err
 * saying which entry failed; the rootfs is then partly written. */
int layer_apply(int rootfd, int tarfd, char **ret_err);

/* Removes name (and everything below it) from the directory dirfd without following
 * symlinks. 0 (also when name does not exist) or -errno. */
int layer_remove_at(int dirfd, const char *name);

/* open(2) of path resolved inside rootfd's tree (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS: symlinks, absolute or relative, are followed as if rootfd were "/";
 * O_CLOEXEC is added): the fd, or -1 with errno set. */
int layer_open_in_root(int rootfd, const char *path, int flags);
/* openat2(2) of path relative to dirfd with those RESOLVE_* flags (retried on EAGAIN; O_CLOEXEC
 * added): the fd, or -1 with errno set. */
int layer_openat2(int dirfd, const char *path, int flags, uint64_t resolve);

#endif
