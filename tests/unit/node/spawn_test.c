/* spawn_test.c — helper programs run to completion (src/node/spawn.c): stdin fed, stdout
 * captured, the exit status and death by signal reported, a missing program as -ENOENT, an
 * fd given as stdout/stderr, and no fd of the caller leaking into the child. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "node/spawn.h"

/* spawn_start: stdin from an fd, stdout to a pipe, not waited for; the caller reaps it */
static void test_start_stdin_fd(void **state)
{
    (void)state;
    int in[2], out[2];
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    assert_int_equal(write(in[1], "abc", 3), 3);
    close(in[1]);
    char *argv[] = {"tr", "a-z", "A-Z", NULL};
    pid_t pid = 0;
    assert_int_equal(spawn_start(argv, NULL, in[0], out[1], -1, &pid), 0);
    close(in[0]);
    close(out[1]);
    char buf[16] = {0};
    ssize_t n = 0, r;
    while ((r = read(out[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0)
        n += r;
    close(out[0]);
    assert_string_equal(buf, "ABC");
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    assert_true(WIFEXITED(ws) && WEXITSTATUS(ws) == 0);
    char *missing[] = {"/nonexistent/prog", NULL};
    assert_int_equal(spawn_start(missing, NULL, -1, -1, -1, &pid), -ENOENT);
}

static void test_input_output_status(void **state)
{
    char *argv[] = {"/bin/sh", "-c", "cat; echo; echo out-$X; exit 3", NULL};
    char *envp[] = {"X=env", NULL};
    struct spawn_opts o = {.argv = argv, .envp = envp, .input = "in", .input_len = 2, .stdout_fd = -1,
                           .stderr_fd = -1};
    char *out = NULL;
    assert_int_equal(spawn_wait(&o, &out), 3);
    assert_string_equal(out, "in\nout-env\n");
    free(out);
}

static void test_signal_and_missing(void **state)
{
    char *argv[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
    struct spawn_opts o = {.argv = argv, .stdout_fd = -1, .stderr_fd = -1};
    assert_int_equal(spawn_wait(&o, NULL), 128 + 9);
    char *missing[] = {"/no/such/program", NULL};
    struct spawn_opts m = {.argv = missing, .stdout_fd = -1, .stderr_fd = -1};
    char *out = NULL;
    assert_int_equal(spawn_wait(&m, &out), -ENOENT);
    assert_null(out);
}

static void test_fds(void **state)
{
    char path[] = "/tmp/anzen-spawn-test.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    /* an fd of the caller (not CLOEXEC) must not reach the child: it lists its fds */
    int stray = open("/dev/null", O_RDONLY);
    assert_true(stray >= 0);
    char *argv[] = {"/bin/sh", "-c", "echo to-stderr >&2; ls /proc/self/fd | sort -n | tr '\\n' ' '", NULL};
    struct spawn_opts o = {.argv = argv, .stdout_fd = fd, .stderr_fd = fd};
    assert_int_equal(spawn_wait(&o, NULL), 0);
    char buf[256] = {0};
    assert_true(pread(fd, buf, sizeof(buf) - 1, 0) > 0);
    assert_non_null(strstr(buf, "to-stderr\n"));
    /* ls itself opens one more fd (3, its /proc/self/fd) */
    assert_non_null(strstr(buf, "0 1 2 3 "));
    assert_null(strstr(buf, " 4 "));
    close(stray);
    close(fd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_output_status),
        cmocka_unit_test(test_signal_and_missing),
        cmocka_unit_test(test_fds),
        cmocka_unit_test(test_start_stdin_fd),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
