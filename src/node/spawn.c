/* spawn.c — run a helper program to completion (see spawn.h). The child gets only fds 0-2,
 * default signal dispositions and an empty signal mask. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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

int spawn_wait(const struct spawn_opts *o, char **ret_out)
{
    int in[2] = {-1, -1}, out[2] = {-1, -1}, rep[2] = {-1, -1};
    const char *input = o->use_stdin_fd ? NULL : o->input;
    if ((input && pipe2(in, O_CLOEXEC) != 0) || (o->stdout_fd < 0 && pipe2(out, O_CLOEXEC) != 0) ||
        pipe2(rep, O_CLOEXEC) != 0) {
        int e = errno;
        for (int k = 0; k < 2; k++) {
            if (in[k] >= 0)
                close(in[k]);
            if (out[k] >= 0)
                close(out[k]);
        }
        return -e;
    }
    pid_t pid = fork();
    if (pid == 0) {
        spawn_child_reset_signals();
        int devnull = open("/dev/null", O_RDWR);
        dup2(o->use_stdin_fd ? o->stdin_fd : input ? in[0] : devnull, 0);
        dup2(o->stdout_fd >= 0 ? o->stdout_fd : out[1], 1);
        dup2(o->stderr_fd >= 0 ? o->stderr_fd : devnull, 2);
        close_range(3, (unsigned)rep[1] - 1, 0);
        close_range((unsigned)rep[1] + 1, ~0U, 0);
        if (o->envp)
            environ = (char **)o->envp;
        execvp(o->argv[0], o->argv);
        int e = errno;
        ssize_t w = write(rep[1], &e, sizeof(e));
        (void)w;
        _exit(127);
    }
    int fork_errno = errno;
    close(rep[1]);
    if (in[0] >= 0)
        close(in[0]);
    if (out[1] >= 0)
        close(out[1]);
    if (pid < 0) {
        close(rep[0]);
        if (in[1] >= 0)
            close(in[1]);
        if (out[0] >= 0)
            close(out[0]);
        return -fork_errno;
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
    int exec_errno = 0;
    ssize_t got;
    do
        got = read(rep[0], &exec_errno, sizeof(exec_errno));
    while (got < 0 && errno == EINTR);
    close(rep[0]);
    int ws = 0;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (got == (ssize_t)sizeof(exec_errno)) {
        buf_release(&b);
        return -exec_errno;
    }
    if (ret_out)
        *ret_out = buf_detach(&b, NULL);
    else
        buf_release(&b);
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 1;
}
