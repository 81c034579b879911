/* spawn.c — the node agent's one way of starting host programs (see spawn.h): posix_spawn
 * (safe from any thread); the child gets only fds 0-2, default signal dispositions and an
 * empty signal mask. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "node/spawn.h"
#include "util/buf.h"

#define MAX_OUTPUT (1 << 20)

extern char **environ;

void spawn_child_reset_signals(void)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

int spawn_start(char *const argv[], char *const envp[], int infd, int outfd, int errfd, pid_t *ret_pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    if (infd >= 0)
        posix_spawn_file_actions_adddup2(&fa, infd, 0);
    else
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (outfd >= 0)
        posix_spawn_file_actions_adddup2(&fa, outfd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (errfd >= 0)
        posix_spawn_file_actions_adddup2(&fa, errfd, 2);
    else
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* nothing else of the agent's */
    sigset_t all; /* every catchable signal at its default */
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigdefault(&attr, &all);
    sigset_t none; /* the calling thread may block signals; the child must not */
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawnp(ret_pid, argv[0], &fa, &attr, argv, envp ? envp : environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return -rc;
}

int spawn_wait(const struct spawn_opts *o, char **ret_out)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1};
    const char *input = o->use_stdin_fd ? NULL : o->input;
    if ((input && pipe2(in, O_CLOEXEC) != 0) || (o->stdout_fd < 0 && pipe2(out, O_CLOEXEC) != 0)) {
        int e = errno;
        if (in[0] >= 0) {
            close(in[0]);
            close(in[1]);
        }
        return -e;
    }
    pid_t pid;
    int rc = spawn_start(o->argv, o->envp, o->use_stdin_fd ? o->stdin_fd : in[0], o->stdout_fd >= 0 ? o->stdout_fd : out[1], o->stderr_fd, &pid);
    if (in[0] >= 0)
        close(in[0]);
    if (out[1] >= 0)
        close(out[1]);
    if (rc != 0) {
        if (in[1] >= 0)
            close(in[1]);
        if (out[0] >= 0)
            close(out[0]);
        return rc;
    }
    if (input) {
        size_t off = 0;
        while (off < o->input_len) {
            ssize_t w = write(in[1], input + off, o->input_len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        close(in[1]);
    }
    struct buf b;
    buf_init(&b, MAX_OUTPUT);
    if (out[0] >= 0) {
        char chunk[4096];
        for (;;) {
            ssize_t r = read(out[0], chunk, sizeof(chunk));
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            buf_append(&b, chunk, (size_t)r);
        }
        close(out[0]);
    }
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (ret_out)
        *ret_out = buf_detach(&b, NULL);
    else
        buf_release(&b);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
}
