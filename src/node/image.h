/* image.h — the node's local OCI image store (kubelet's image manager + the runtime's image
 * service, for one node).
 *
 * The store is one OCI image layout (image-spec `image-layout.md`) at DIR (DATA_DIR/images
 * unless `--image-dir`): `oci-layout`, `index.json` whose manifests carry the annotation
 * `org.opencontainers.image.ref.name` = the normalised reference, and `blobs/sha256/...`.
 * References are normalised as the container runtimes do: "alpine" and "alpine:latest" are
 * "docker.io/library/alpine:latest"; "repo/x" is "docker.io/repo/x:latest"; a digest
 * reference ("name@sha256:...") is kept as given.
 *
 * Every function is safe to call from any thread (each call opens what it needs); none keeps
 * global state. Errors: a negative AZ_E* code with *ret_err (malloc'd) holding a message fit
 * for a pod's waiting.message (as kubelet words it where it has a wording). */
#ifndef ANZEN_NODE_IMAGE_H
#define ANZEN_NODE_IMAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The normalised form of ref (malloc'd), or NULL if ref is not a valid image reference. */
char *image_normalize(const char *ref);

/* Imports PATH — an OCI image layout directory, an OCI layout archive (tar), or a
 * `docker save` tarball — into the store at dir. name: the tag to give it ("alpine:latest");
 * NULL keeps the name(s) recorded in PATH. Returns 0 or a negative code. */
int image_import(const char *dir, const char *path, const char *name, char **ret_err);

struct image_entry {
    char *ref;        /* normalised reference */
    char *digest;     /* manifest digest "sha256:..." */
    int64_t size;     /* bytes: manifest + config + layers */
    char *id;         /* image ID: the config's digest "sha256:..." (crictl's IMAGE ID) */
};
/* Lists the store's images (sorted by ref). *ret (malloc'd array of *ret_n entries). */
int image_list(const char *dir, struct image_entry **ret, size_t *ret_n, char **ret_err);
void image_entries_free(struct image_entry *e, size_t n);

/* The entry of ref (normalised) in the store: *ret (malloc'd; free with
 * image_entries_free(*ret, 1)). Its digest (manifest) and id (config) identify the content,
 * e.g. to key a cache of unpacked root filesystems. AZ_ENOTFOUND if absent. */
int image_inspect(const char *dir, const char *ref, struct image_entry **ret, char **ret_err);

/* Removes ref (normalised; a digest reference removes every name of that repository on
 * that manifest) from the store, then deletes the blobs no remaining image uses (crictl rmi;
 * kubelet's image GC). Waits for unpacks in progress. AZ_ENOTFOUND if ref is not there. */
int image_remove(const char *dir, const char *ref, char **ret_err);

/* Whether ref is present. */
bool image_present(const char *dir, const char *ref);

/* Pulls ref from its registry into the store (skopeo; the copy goes to a staging layout,
 * then is committed under the store's lock). AZ_EUNAVAILABLE when no registry can be reached
 * or the image does not exist there, with the message kubelet reports (containerd's CRI
 * wording behind the gRPC prefix); it fails at the first DNS or connect error, no retries. */
int image_pull(const char *dir, const char *ref, char **ret_err);

/* Unpacks ref's layers, in order and with whiteouts applied, into rootfs (created; must not
 * exist; removed again on failure), owned as stored in the layers (when running as root).
 * Layers are checked against their digests first; gzip and zstd layers go through gzip(1) and
 * zstd(1). Untrusted layers cannot write outside rootfs (layer.h). Holds the store's shared
 * lock meanwhile (removals and the short commit step of imports and pulls wait; their copies
 * do not). To fill a cache shared by several callers, unpack
 * into a private temporary directory and rename(2) it into place.
 * On success *ret_config (may be NULL to skip) is the image's config object ("config" of the
 * OCI image config: Env, Entrypoint, Cmd, WorkingDir, User), a new reference.
 * AZ_ENOTFOUND if ref is not in the store, AZ_EEXIST if rootfs exists, AZ_EIO otherwise. */
int image_unpack(const char *dir, const char *ref, const char *rootfs, json_t **ret_config,
                 char **ret_err);

#endif
