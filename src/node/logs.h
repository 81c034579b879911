/* logs.h — container logs in the CRI log format, as kubelet/containerd keep them: one record
 * per line, `<RFC3339Nano timestamp> <stream> <tag> <content>\n`, tag F for a full line (the
 * newline was the container's) or P for a partial one (a line longer than NODE_LOG_MAX_LINE,
 * continued in the next record). The agent reads each container's output pipe on the event
 * loop and appends records; `kubectl logs` renders them back (--tail, --since, --timestamps,
 * --limit-bytes). Log files written before this format (plain bytes) render as they are. */
#ifndef ANZEN_NODE_LOGS_H
#define ANZEN_NODE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NODE_LOG_MAX_LINE 16384 /* containerd's maxLen: longer lines are split into P records */
#define NODE_LOG_MAX_SIZE (10 << 20) /* kubelet's containerLogMaxSize 10Mi */
#define NODE_LOG_MAX_FILES 5         /* kubelet's containerLogMaxFiles: the file + 4 rotated */

/* ---- pure helpers (exposed for tests and the fuzz target) --------------------------------- */

/* Formats ns as Go's RFC3339Nano in UTC (fraction without trailing zeros, none if zero).
 * out needs 36 bytes. */
void node_log_format_time(int64_t ns, char out[36]);

struct node_log_render {
    int64_t tail_lines;  /* < 0: all; else the last N lines */
    int64_t limit_bytes; /* <= 0: no limit */
    bool timestamps;     /* prefix each line with its RFC3339Nano timestamp and a space */
    bool has_since;
    int64_t since_ns;    /* with has_since: lines logged before this are left out */
};

/* Renders the log data[0..len) (CRI records, or legacy plain bytes) as kubelet answers
 * pods/log. Returns malloc'd bytes (NUL-terminated) and *ret_len. Never fails. */
char *node_log_render(const char *data, size_t len, const struct node_log_render *o, size_t *ret_len);

/* ---- the pipe reader (event loop) --------------------------------------------------------- */

struct node_log_pipe;
struct node_log_follower;

/* Opens two pipes (the container's stdout and stderr) whose read ends the loop reads,
 * appending CRI records (stream "stdout"/"stderr", in the order the loop reads them, as
 * containerd interleaves them) to file_fd (O_APPEND; owned by the reader from now on).
 * *ret_out_fd and *ret_err_fd are the ends to give the container (close-on-exec; the caller
 * closes its copies once the runtime has them). NULL with both -1 on failure (file_fd is then
 * closed). */
struct st_h2o_evloop_t;
struct node_log_pipe *node_log_pipe_open(struct st_h2o_evloop_t *loop, int file_fd, int *ret_out_fd,
                                         int *ret_err_fd);
/* Reads what is left in the pipes without waiting (the container has exited), writes a final
 * partial line as a full one (containerd does), truncates the file first if discard (the
 * runtime failed: its complaint is not the container's log), ends every follower (fn with
 * rec NULL) and frees lp. NULL: no-op. */
void node_log_pipe_close(struct node_log_pipe *lp, bool discard);

/* Opens a reader of an fd the caller already has (a container terminal's pty master, owned by
 * the reader from now on; EIO = the terminal closed = EOF), appending records to file_fd as
 * node_log_pipe_open does. NULL on failure (both fds closed then). */
struct node_log_pipe *node_log_pipe_open_fd(struct st_h2o_evloop_t *loop, int file_fd, int read_fd);

/* Rotates the reader's log file, which is at path, as kubelet's container log manager does:
 * once it holds more than NODE_LOG_MAX_SIZE bytes it is renamed to PATH.<YYYYMMDD-hhmmss>
 * (UTC; here with .nnnnnnnnn nanoseconds: several rotations can fall in one second, kubelet
 * rotates at most every 10 s), a new empty file takes its place, and only the newest NODE_LOG_MAX_FILES - 1 rotated
 * files are kept (`kubectl logs` shows the current file, as kubelet's). Checked after every
 * record (kubelet checks every 10 s), so what a container writes never holds more than about
 * NODE_LOG_MAX_FILES * NODE_LOG_MAX_SIZE of the node's disk. */
void node_log_pipe_rotate(struct node_log_pipe *lp, const char *path);

/* A duplicate of the reader's log file descriptor (close-on-exec), or -1. */
int node_log_pipe_dup_file(const struct node_log_pipe *lp);

/* Live output taps (`kubectl attach`): fn(arg, data, len) gets the container's raw output as
 * the loop reads it, before it is split into records; fn(arg, NULL, 0) once when the output
 * ends (EOF, or the reader is closed), after which the tap is gone and lp must not be used by
 * its holder any more. Returns false (and adds nothing) when the output has already ended. */
typedef void (*node_log_tap_fn)(void *arg, const char *data, size_t len);
bool node_log_pipe_tap(struct node_log_pipe *lp, node_log_tap_fn fn, void *arg);
/* Removes the tap with arg (no callback). */
void node_log_pipe_untap(struct node_log_pipe *lp, void *arg);
/* The current line not yet ended (not in the file yet): *ret_len bytes at the result. */
const char *node_log_pipe_pending(const struct node_log_pipe *lp, size_t *ret_len);

/* `kubectl logs -f`: fn(arg, rec, len) is called with each CRI record (one line, '\n'
 * included) right after it is written, and once with rec NULL when the run ends (the follower
 * is freed after that call). All on the event loop. */
typedef void (*node_log_follow_fn)(void *arg, const char *rec, size_t len);
struct node_log_follower *node_log_pipe_follow(struct node_log_pipe *lp, node_log_follow_fn fn, void *arg);
/* Stops following before the run ends (the client went away); frees f. NULL: no-op. */
void node_log_unfollow(struct node_log_follower *f);

#endif
