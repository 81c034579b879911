/* image.c — `anzen image`: the node's local OCI image store from the command line
 * (import, ls, pull, rm, unpack; the store itself is node/image.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "node/image.h"
#include "util/buf.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: anzen image COMMAND [flags]\n\n"
            "commands:\n"
            "  import PATH [--name NAME:TAG]   import an OCI image layout (directory or tar)\n"
            "                                  or a `docker save` tarball\n"
            "  ls                              list the images (IMAGE, TAG, IMAGE ID, SIZE)\n"
            "  pull REF                        pull REF from its registry (skopeo)\n"
            "  rm REF...                       remove images, then the blobs nothing uses\n"
            "  unpack REF ROOTFS               unpack REF's layers into the new directory\n"
            "                                  ROOTFS; prints the image config as JSON\n\n"
            "flags:\n"
            "  --data-dir DIR    the node's data directory; the store is DIR/images\n"
            "                    (default .anzen)\n"
            "  --image-dir DIR   the store itself (instead of DATA_DIR/images)\n"
            "  --name NAME:TAG   (import) the name to give the image; default: the name(s)\n"
            "                    recorded in PATH\n");
}

/* crictl's sizes: go-units HumanSizeWithPrecision(size, 4), decimal units. */
static void human_size(int64_t size, char out[32])
{
    static const char *const units[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double s = (double)size;
    size_t i = 0;
    while (s >= 1000 && i < sizeof(units) / sizeof(units[0]) - 1) {
        s /= 1000;
        i++;
    }
    snprintf(out, 32, "%.4g%s", s, units[i]);
}

/* Splits a normalised reference into repository and tag ("<none>" for a digest only). */
static void split_ref(const char *ref, char **ret_repo, char **ret_tag)
{
    size_t n = strcspn(ref, "@");
    const char *slash = memrchr(ref, '/', n);
    const char *from = slash ? slash : ref;
    const char *colon = memrchr(from, ':', n - (size_t)(from - ref));
    *ret_repo = xstrndup(ref, colon ? (size_t)(colon - ref) : n);
    *ret_tag = colon ? xstrndup(colon + 1, n - (size_t)(colon - ref) - 1) : xstrdup("<none>");
}

static int list_images(const char *dir)
{
    struct image_entry *v = NULL;
    size_t n = 0;
    char *err = NULL;
    if (image_list(dir, &v, &n, &err) != 0) {
        fprintf(stderr, "anzen image ls: %s\n", err);
        free(err);
        return 1;
    }
    /* columns as crictl's tabwriter lays them out: minimum width 20, padding 3 */
    char **repo = xcalloc(n + 1, sizeof(char *)), **tag = xcalloc(n + 1, sizeof(char *));
    size_t w_repo = strlen("IMAGE"), w_tag = strlen("TAG"), w_id = strlen("IMAGE ID");
    for (size_t i = 0; i < n; i++) {
        split_ref(v[i].ref, &repo[i], &tag[i]);
        if (strlen(repo[i]) > w_repo)
            w_repo = strlen(repo[i]);
        if (strlen(tag[i]) > w_tag)
            w_tag = strlen(tag[i]);
    }
    w_id = 13 > w_id ? 13 : w_id;
    w_repo = w_repo + 3 < 20 ? 20 : w_repo + 3;
    w_tag = w_tag + 3 < 20 ? 20 : w_tag + 3;
    w_id = w_id + 3 < 20 ? 20 : w_id + 3;
    printf("%-*s%-*s%-*s%s\n", (int)w_repo, "IMAGE", (int)w_tag, "TAG", (int)w_id, "IMAGE ID",
           "SIZE");
    for (size_t i = 0; i < n; i++) {
        char size[32], id[14];
        human_size(v[i].size, size);
        const char *colon = strchr(v[i].id, ':');
        snprintf(id, sizeof(id), "%s", colon ? colon + 1 : v[i].id);
        printf("%-*s%-*s%-*s%s\n", (int)w_repo, repo[i], (int)w_tag, tag[i], (int)w_id, id, size);
        free(repo[i]);
        free(tag[i]);
    }
    free(repo);
    free(tag);
    image_entries_free(v, n);
    return 0;
}

int cmd_image(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    const char *data_dir = ".anzen", *image_dir = NULL, *name = NULL;
    static const struct option longopts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"image-dir", required_argument, NULL, 'i'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    optind = 1;
    /* getopt sees "anzen image SUB" as the program name (its messages start with it); flags
     * may come before or after the positional arguments (GNU getopt permutes) */
    char **av = xcalloc((size_t)argc, sizeof(char *));
    char *prog = xasprintf("anzen image %s", sub);
    av[0] = prog;
    for (int i = 2; i < argc; i++)
        av[i - 1] = argv[i];
    while ((ch = getopt_long(argc - 1, av, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'd': data_dir = optarg; break;
        case 'i': image_dir = optarg; break;
        case 'n': name = optarg; break;
        case 'h': usage(stdout); free(prog); free(av); return 0;
        default: usage(stderr); free(prog); free(av); return 2;
        }
    }
    char **args = av + optind;
    int nargs = argc - 1 - optind;
    char *dir = image_dir ? xstrdup(image_dir) : xasprintf("%s/images", data_dir);
    int rc = 2;
    char *err = NULL;
    if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0) {
        rc = nargs == 0 ? list_images(dir) : 2;
    } else if (strcmp(sub, "import") == 0 && nargs == 1) {
        if (image_import(dir, args[0], name, &err) != 0) {
            fprintf(stderr, "anzen image import: %s\n", err);
            rc = 1;
        } else {
            char *norm = name ? image_normalize(name) : NULL;
            printf("imported %s%s%s\n", args[0], norm ? " as " : "", norm ? norm : "");
            free(norm);
            rc = 0;
        }
    } else if (strcmp(sub, "pull") == 0 && nargs == 1 && name == NULL) {
        if (image_pull(dir, args[0], &err) != 0) {
            fprintf(stderr, "anzen image pull: %s\n", err);
            rc = 1;
        } else {
            char *norm = image_normalize(args[0]);
            printf("pulled %s\n", norm);
            free(norm);
            rc = 0;
        }
    } else if ((strcmp(sub, "rm") == 0 || strcmp(sub, "rmi") == 0) && nargs >= 1 && name == NULL) {
        rc = 0;
        for (int i = 0; i < nargs; i++) {
            if (image_remove(dir, args[i], &err) != 0) {
                fprintf(stderr, "anzen image rm: %s\n", err);
                free(err);
                err = NULL;
                rc = 1;
            } else {
                char *norm = image_normalize(args[i]);
                printf("Deleted: %s\n", norm);
                free(norm);
            }
        }
    } else if (strcmp(sub, "unpack") == 0 && nargs == 2 && name == NULL) {
        json_t *config = NULL;
        if (image_unpack(dir, args[0], args[1], &config, &err) != 0) {
            fprintf(stderr, "anzen image unpack: %s\n", err);
            rc = 1;
        } else {
            char *s = json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS);
            printf("%s\n", s);
            free(s);
            json_decref(config);
            rc = 0;
        }
    }
    if (rc == 2)
        usage(stderr);
    free(err);
    free(dir);
    free(prog);
    free(av);
    return rc;
}
