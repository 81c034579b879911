/* spawn.h — running a helper program to completion (the OCI runtime, CNI plugins): the node
 * agent's only way of starting host executables. */
#ifndef ANZEN_NODE_SPAWN_H
#define ANZEN_NODE_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

struct spawn_opts {
    char *const *argv;       /* argv[0] is an absolute path or found on PATH */
    char *const *envp;       /* NULL: the agent's environment */
    const char *input;       /* written to the child's stdin (NULL: /dev/null); < 64 KiB */
    bool use_stdin_fd;       /* the child's stdin is stdin_fd instead (input is ignored) */
    int stdin_fd;
    size_t input_len;
    int stdout_fd;           /* >= 0: the child's stdout; -1: captured into *ret_out */
    int stderr_fd;           /* >= 0: the child's stderr; -1: /dev/null */
};

/* Runs the program and waits for it. Returns its exit status (0..255; 128+signal) or -errno
 * when it could not be started. *ret_out (if stdout_fd < 0 and ret_out != NULL) is what it
 * printed (malloc'd, NUL-terminated, at most 1 MiB). */
int spawn_wait(const struct spawn_opts *o, char **ret_out);

/* In a forked child: no signal blocked, every disposition the default (async-signal-safe). */
void spawn_child_reset_signals(void);

#endif
