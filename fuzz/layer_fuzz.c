/* layer_fuzz.c — libFuzzer target for the tar reader and layer application (node/layer.c):
 * the input is applied as a layer to an empty rootfs in a sandbox directory that also holds
 * a sentinel directory; whatever the input, nothing may appear, change or vanish outside the
 * rootfs (the security boundary of layer.h), and an error must come with a message. The input
 * is also read entry by entry with the bare tar reader.
 *
 * The sandbox is made once (LLVMFuzzerInitialize), in /dev/shm when it can be (a tmpfs: no
 * disk writes per input), and only its rootfs is emptied and re-created between inputs. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* the source itself, so that libFuzzer instruments it (the library is not built with
 * -fsanitize=fuzzer) */
#include "node/layer.c"

static int input_fd(const uint8_t *data, size_t size)
{
    int fd = memfd_create("layer", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

/* The sentinel holds exactly "secret" with its content; top holds root/ and outside/. */
static void check_untouched(const char *top)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/outside/secret", top);
    struct stat st;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 7 || st.st_nlink != 1)
        abort();
    char buf[8] = {0};
    FILE *f = fopen(path, "r");
    if (f == NULL || fread(buf, 1, 7, f) != 7 || memcmp(buf, "secret\n", 7) != 0)
        abort();
    fclose(f);
    const char *dirs[] = {top, NULL};
    snprintf(path, sizeof(path), "%s/outside", top);
    dirs[1] = path;
    for (int i = 0; i < 2; i++) {
        DIR *d = opendir(dirs[i]);
        if (d == NULL)
            abort();
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            const char *n = de->d_name;
            if (strcmp(n, ".") && strcmp(n, "..") &&
                strcmp(n, i == 0 ? "root" : "secret") && (i == 1 || strcmp(n, "outside")))
                abort();
        }
        closedir(d);
    }
}

static char top[64]; /* the sandbox: root/ (emptied after each input) and outside/secret */

static void remove_top(void)
{
    char *slash = strrchr(top, '/');
    *slash = '\0';
    int parent = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    *slash = '/';
    if (parent >= 0) {
        (void)layer_remove_at(parent, slash + 1);
        close(parent);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(top, sizeof(top), "/dev/shm/anzen-layer-fuzz.XXXXXX");
    if (mkdtemp(top) == NULL) {
        snprintf(top, sizeof(top), "/tmp/anzen-layer-fuzz.XXXXXX");
        if (mkdtemp(top) == NULL)
            abort();
    }
    atexit(remove_top);
    char path[512];
    snprintf(path, sizeof(path), "%s/outside", top);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/outside/secret", top);
    FILE *f = fopen(path, "w");
    if (f == NULL)
        abort();
    fputs("secret\n", f);
    fclose(f);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the bare reader */
    int fd = input_fd(data, size);
    struct tar_reader *r = tar_reader_new(fd);
    for (int i = 0; i < 10000; i++) {
        struct tar_entry *e = NULL;
        char *err = NULL;
        int n = tar_next(r, &e, &err);
        if (n < 0 && err == NULL)
            abort();
        free(err);
        if (n <= 0)
            break;
        char *clean = tar_clean_path(e->path);
        if (clean != NULL && strstr(clean, "//") != NULL)
            abort();
        free(clean);
        char buf[256];
        (void)tar_read(r, buf, sizeof(buf));
    }
    tar_reader_free(r);
    close(fd);

    /* the applier, in the sandbox */
    int topfd = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (topfd < 0 || mkdirat(topfd, "root", 0755) != 0)
        abort();
    int rootfd = openat(topfd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        abort();
    fd = input_fd(data, size);
    char *err = NULL;
    int rc = layer_apply(rootfd, fd, &err);
    if (rc != 0 && err == NULL)
        abort();
    free(err);
    close(fd);
    close(rootfd);
    check_untouched(top);
    if (layer_remove_at(topfd, "root") != 0)
        abort();
    close(topfd);
    return 0;
}
