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

/* Opens a pipe whose read end the loop reads, appending CRI records (stream "stdout") to
 * file_fd (O_APPEND; owned by the reader from now on). *ret_write_fd is the end to give the
 * container (close-on-exec; the caller closes its copy once the runtime has it). NULL with
 * *ret_write_fd = -1 on failure (file_fd is then closed). */
struct node_log_pipe *node_log_pipe_open(int file_fd, int *ret_write_fd);
/* Reads what is left in the pipe without waiting (the container has exited), writes a final
 * partial line as a full one (containerd does), truncates the file first if discard (the
 * runtime failed: its complaint is not the container's log), and frees lp. NULL: no-op. */
void node_log_pipe_close(struct node_log_pipe *lp, bool discard);

#endif
