/* ocispec.c — config.json of a container (see ocispec.h for the field-by-field rules), and
 * containerd's RuntimeDefault seccomp profile as data. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "node/layer.h"
#include "node/ocispec.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define MAX_GROUPS 64
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define CPU_PERIOD 100000
#define MAX_PROFILE_BYTES (1 << 20)

/* ---- capabilities -------------------------------------------------------------------- */

/* containerd's (and Docker's) default set */
static const char *const default_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL,
};

/* every capability the kernel knows, in number order (privileged containers get those of them
 * the agent's bounding set has) */
static const char *const all_caps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
    "CAP_BPF", "CAP_CHECKPOINT_RESTORE", NULL,
};

/* The calling process's bounding set (CapBnd of /proc/self/status): what a container can be
 * given at all. all_caps is in capability-number order, so bit i is all_caps[i]. */
static uint64_t bounding_set(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    char line[256];
    uint64_t set = ~0ULL;
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "CapBnd:", 7) == 0)
            set = strtoull(line + 7, NULL, 16);
    if (f)
        fclose(f);
    return set;
}

/* Every capability this process can give (privileged, add: [ALL]), as containerd's
 * WithAllCurrentCapabilities does. */
static void add_all_caps(json_t *caps)
{
    uint64_t bnd = bounding_set();
    for (size_t i = 0; all_caps[i]; i++)
        if (i < 64 && (bnd & (1ULL << i)))
            json_array_append_new(caps, json_string(all_caps[i]));
}

static bool cap_known(const char *cap)
{
    for (size_t i = 0; all_caps[i]; i++)
        if (strcmp(all_caps[i], cap) == 0)
            return true;
    return false;
}

/* "net_admin" / "NET_ADMIN" / "CAP_NET_ADMIN" -> "CAP_NET_ADMIN" (malloc'd) */
static char *cap_name(const char *s)
{
    char *n = strncasecmp(s, "CAP_", 4) == 0 ? xstrdup(s) : xasprintf("CAP_%s", s);
    for (char *p = n; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return n;
}

static bool caps_has(json_t *caps, const char *cap)
{
    size_t i;
    json_t *v;
    json_array_foreach(caps, i, v)
        if (strcmp(json_string_value(v), cap) == 0)
            return true;
    return false;
}

static void caps_remove(json_t *caps, const char *cap)
{
    for (size_t i = 0; i < json_array_size(caps);)
        if (strcmp(json_string_value(json_array_get(caps, i)), cap) == 0)
            json_array_remove(caps, i);
        else
            i++;
}

/* The effective capability list, or NULL with *ret_msg on an unknown name. */
static json_t *container_caps(json_t *sc, bool privileged, char **ret_msg)
{
    json_t *caps = json_array();
    if (privileged) {
        add_all_caps(caps);
        return caps;
    }
    json_t *add = json_path(sc, "capabilities.add"), *drop = json_path(sc, "capabilities.drop");
    bool drop_all = false;
    size_t i;
    json_t *v;
    json_array_foreach(drop, i, v)
        if (json_is_string(v) && strcasecmp(json_string_value(v), "ALL") == 0)
            drop_all = true;
    if (!drop_all)
        for (size_t k = 0; default_caps[k]; k++)
            json_array_append_new(caps, json_string(default_caps[k]));
    json_array_foreach(add, i, v) {
        if (!json_is_string(v))
            continue;
        if (strcasecmp(json_string_value(v), "ALL") == 0) {
            json_array_clear(caps);
            add_all_caps(caps);
            continue;
        }
        char *n = cap_name(json_string_value(v));
        if (!cap_known(n)) {
            *ret_msg = xasprintf("failed to generate container spec: unknown capability \"%s\"", n);
            free(n);
            json_decref(caps);
            return NULL;
        }
        if (!caps_has(caps, n))
            json_array_append_new(caps, json_string(n));
        free(n);
    }
    json_array_foreach(drop, i, v) {
        if (!json_is_string(v) || strcasecmp(json_string_value(v), "ALL") == 0)
            continue;
        char *n = cap_name(json_string_value(v));
        caps_remove(caps, n);
        free(n);
    }
    return caps;
}

/* ---- seccomp: containerd's RuntimeDefault profile ------------------------------------ */

/* allowed for every container */
static const char *const seccomp_allow[] = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64",
    "clock_nanosleep", "clock_nanosleep_time64", "close", "close_range", "connect",
    "copy_file_range", "creat", "dup", "dup2", "dup3", "epoll_create", "epoll_create1",
    "epoll_ctl", "epoll_ctl_old", "epoll_pwait", "epoll_pwait2", "epoll_wait", "epoll_wait_old",
    "eventfd", "eventfd2", "execve", "execveat", "exit", "exit_group", "faccessat",
    "faccessat2", "fadvise64", "fadvise64_64", "fallocate", "fanotify_mark", "fchdir", "fchmod",
    "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat", "fcntl", "fcntl64", "fdatasync",
    "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr", "fsetxattr", "fstat", "fstat64",
    "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate", "ftruncate64", "futex",
    "futex_requeue", "futex_time64", "futex_wait", "futex_waitv", "futex_wake", "futimesat",
    "getcpu", "getcwd", "getdents", "getdents64", "getegid", "getegid32", "geteuid",
    "geteuid32", "getgid", "getgid32", "getgroups", "getgroups32", "getitimer", "getpeername",
    "getpgid", "getpgrp", "getpid", "getppid", "getpriority", "getrandom", "getresgid",
    "getresgid32", "getresuid", "getresuid32", "getrlimit", "get_robust_list", "getrusage",
    "getsid", "getsockname", "getsockopt", "get_thread_area", "gettid", "gettimeofday",
    "getuid", "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "ioctl", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "ioprio_get", "ioprio_set", "io_setup", "io_submit", "ipc", "kill",
    "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod",
    "mknodat", "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr",
    "mq_notify", "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
    "mq_timedsend_time64", "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd",
    "msync", "munlock", "munlockall", "munmap", "name_to_handle_at", "nanosleep", "newfstatat",
    "_newselect", "open", "openat", "openat2", "pause", "pidfd_open", "pidfd_send_signal",
    "pipe", "pipe2", "pkey_alloc", "pkey_free", "pkey_mprotect", "poll", "ppoll",
    "ppoll_time64", "prctl", "pread64", "preadv", "preadv2", "prlimit64", "process_mrelease",
    "pselect6", "pselect6_time64", "pwrite64", "pwritev", "pwritev2", "read", "readahead",
    "readlink", "readlinkat", "readv", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64",
    "recvmsg", "remap_file_pages", "removexattr", "rename", "renameat", "renameat2",
    "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
    "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
    "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_getaffinity", "sched_getattr",
    "sched_getparam", "sched_get_priority_max", "sched_get_priority_min", "sched_getscheduler",
    "sched_rr_get_interval", "sched_rr_get_interval_time64", "sched_setaffinity",
    "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield", "seccomp", "select",
    "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send", "sendfile",
    "sendfile64", "sendmmsg", "sendmsg", "sendto", "setfsgid", "setfsgid32", "setfsuid",
    "setfsuid32", "setgid", "setgid32", "setgroups", "setgroups32", "setitimer", "setpgid",
    "setpriority", "setregid", "setregid32", "setresgid", "setresgid32", "setresuid",
    "setresuid32", "setreuid", "setreuid32", "setrlimit", "set_robust_list", "setsid",
    "setsockopt", "set_thread_area", "set_tid_address", "setuid", "setuid32", "setxattr",
    "shmat", "shmctl", "shmdt", "shmget", "shutdown", "sigaltstack", "signalfd", "signalfd4",
    "sigprocmask", "sigreturn", "socket", "socketcall", "socketpair", "splice", "stat",
    "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
    "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create", "timer_delete",
    "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64",
    "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask",
    "uname", "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork",
    "vmsplice", "wait4", "waitid", "waitpid", "write", "writev", "arch_prctl", "modify_ldt",
    "ptrace", NULL,
};

/* allowed only with a capability */
static const struct {
    const char *cap;
    const char *syscalls[24];
} seccomp_by_cap[] = {
    {"CAP_SYS_ADMIN", {"bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
                       "fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount",
                       "open_tree", "perf_event_open", "quotactl", "quotactl_fd", "setdomainname",
                       "sethostname", "setns", "syslog", "umount", "umount2", "unshare", NULL}},
    {"CAP_SYS_BOOT", {"reboot", NULL}},
    {"CAP_SYS_CHROOT", {"chroot", NULL}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module", NULL}},
    {"CAP_SYS_PACCT", {"acct", NULL}},
    {"CAP_SYS_PTRACE", {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
                        "process_vm_writev", NULL}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm", NULL}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64", NULL}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup", NULL}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node", NULL}},
    {"CAP_SYSLOG", {"syslog", NULL}},
    {"CAP_BPF", {"bpf", NULL}},
    {"CAP_PERFMON", {"perf_event_open", NULL}},
};

/* clone flags that create namespaces (CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET) */
#define CLONE_NS_FLAGS 2114060288ULL

static json_t *arch_list(void)
{
#if defined(__x86_64__)
    return json_pack("[s, s, s]", "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
#elif defined(__aarch64__)
    return json_pack("[s, s]", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM");
#else
    return json_array();
#endif
}

static json_t *names_array(const char *const *names)
{
    json_t *a = json_array();
    for (size_t i = 0; names[i]; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

static json_t *seccomp_runtime_default(json_t *caps)
{
    json_t *rules = json_array();
    json_array_append_new(rules, json_pack("{s:o, s:s}", "names", names_array(seccomp_allow),
                                           "action", "SCMP_ACT_ALLOW"));
    /* personality: only the harmless personas */
    static const long long personas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};
    for (size_t i = 0; i < sizeof(personas) / sizeof(personas[0]); i++)
        json_array_append_new(rules, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:s}]}", "names",
                                               "personality", "action", "SCMP_ACT_ALLOW", "args",
                                               "index", 0, "value", personas[i], "op",
                                               "SCMP_CMP_EQ"));
    bool sys_admin = caps_has(caps, "CAP_SYS_ADMIN");
    for (size_t i = 0; i < sizeof(seccomp_by_cap) / sizeof(seccomp_by_cap[0]); i++)
        if (caps_has(caps, seccomp_by_cap[i].cap))
            json_array_append_new(rules, json_pack("{s:o, s:s}", "names",
                                                   names_array(seccomp_by_cap[i].syscalls),
                                                   "action", "SCMP_ACT_ALLOW"));
    if (!sys_admin) {
        /* clone without namespace flags; clone3 cannot be filtered: ENOSYS makes libc fall back */
        json_array_append_new(rules, json_pack("{s:[s], s:s, s:[{s:i, s:I, s:I, s:s}]}", "names",
                                               "clone", "action", "SCMP_ACT_ALLOW", "args", "index",
                                               0, "value", (json_int_t)CLONE_NS_FLAGS, "valueTwo",
                                               (json_int_t)0, "op", "SCMP_CMP_MASKED_EQ"));
        json_array_append_new(rules, json_pack("{s:[s], s:s, s:i}", "names", "clone3", "action",
                                               "SCMP_ACT_ERRNO", "errnoRet", 38));
    }
    return json_pack("{s:s, s:i, s:o, s:o}", "defaultAction", "SCMP_ACT_ERRNO", "defaultErrnoRet",
                     1, "architectures", arch_list(), "syscalls", rules);
}

/* A Localhost profile (Docker's seccomp JSON, a subset of the OCI form). */
static json_t *seccomp_localhost(const char *dir, const char *name, char **ret_msg)
{
    if (name == NULL || name[0] == '/' || strstr(name, "..") != NULL) {
        *ret_msg = xasprintf("failed to generate seccomp spec opts: invalid localhostProfile \"%s\"",
                             name ? name : "");
        return NULL;
    }
    char *path = xasprintf("%s/%s", dir ? dir : ".", name);
    json_error_t jerr;
    json_t *prof = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (prof == NULL || !json_is_object(prof) || !json_is_string(json_object_get(prof, "defaultAction"))) {
        *ret_msg = xasprintf("failed to generate seccomp spec opts: cannot load seccomp profile \"%s\": %s",
                             path, prof == NULL ? jerr.text : "not a seccomp profile");
        free(path);
        json_decref(prof);
        return NULL;
    }
    free(path);
    json_t *out = json_pack("{s:O}", "defaultAction", json_object_get(prof, "defaultAction"));
    static const char *const keep[] = {"defaultErrnoRet", "architectures", "flags", "syscalls", NULL};
    for (size_t i = 0; keep[i]; i++)
        if (json_object_get(prof, keep[i]))
            json_object_set(out, keep[i], json_object_get(prof, keep[i]));
    if (!json_object_get(out, "architectures"))
        json_object_set_new(out, "architectures", arch_list());
    json_decref(prof);
    return out;
}

/* ---- quantities --------------------------------------------------------------------- */

int ocispec_quantity(const char *s, int64_t scale, int64_t *ret)
{
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return AZ_EINVALID;
    errno = 0;
    char *end;
    long double v = strtold(s, &end);
    if (errno != 0 || end == s || v < 0 || s[0] == '+' || isspace((unsigned char)s[0]))
        return AZ_EINVALID;
    static const struct {
        const char *suffix;
        long double mul;
    } suffixes[] = {
        {"Ki", 1024.0L}, {"Mi", 1048576.0L}, {"Gi", 1073741824.0L}, {"Ti", 1099511627776.0L},
        {"Pi", 1125899906842624.0L}, {"Ei", 1152921504606846976.0L}, {"n", 1e-9L}, {"u", 1e-6L},
        {"m", 1e-3L}, {"", 1.0L}, {"k", 1e3L}, {"M", 1e6L}, {"G", 1e9L}, {"T", 1e12L},
        {"P", 1e15L}, {"E", 1e18L},
    };
    long double mul = -1;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
        if (strcmp(end, suffixes[i].suffix) == 0)
            mul = suffixes[i].mul;
    if (mul < 0)
        return AZ_EINVALID;
    long double r = v * mul * (long double)scale;
    if (r > (long double)INT64_MAX / 2)
        return AZ_EINVALID;
    int64_t n = (int64_t)r;
    if ((long double)n < r)
        n++;
    *ret = n;
    return 0;
}

/* ---- users -------------------------------------------------------------------------- */

static bool parse_id(const char *s, int64_t *ret)
{
    if (s == NULL || *s == '\0' || strlen(s) > 10)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *ret = v;
    return true;
}

/* The image's own file rel ("etc/passwd") for reading, or NULL. The image is untrusted (any
 * registry's): a symlink in it is resolved inside rootfs, as if rootfs were "/" (containerd
 * reads these files through a root-scoped path), never on the host; only a regular file is
 * read (a FIFO or device would block or never end), and at most ROOTFS_FILE_MAX bytes of it. */
#define ROOTFS_FILE_MAX (4 << 20)
static FILE *rootfs_fopen(const char *rootfs, const char *rel)
{
    int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return NULL;
    int fd = layer_open_in_root(rootfd, rel, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    close(rootfd);
    if (fd < 0)
        return NULL;
    struct stat st;
    FILE *f = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        f = fdopen(fd, "r");
    if (f == NULL)
        close(fd);
    return f;
}

/* fgets within the ROOTFS_FILE_MAX bytes rootfs_fopen allows. */
static char *rootfs_fgets(char *line, int cap, FILE *f)
{
    if (ftell(f) >= ROOTFS_FILE_MAX)
        return NULL;
    return fgets(line, cap, f);
}

/* Looks name (or numeric id) up in rootfs/etc/passwd: uid and primary gid. */
static bool passwd_lookup(const char *rootfs, const char *name, int64_t *ret_uid, int64_t *ret_gid,
                          char **ret_name)
{
    FILE *f = rootfs_fopen(rootfs, "etc/passwd");
    if (f == NULL)
        return false;
    char line[1024];
    bool found = false;
    int64_t want;
    bool numeric = parse_id(name, &want);
    while (!found && rootfs_fgets(line, sizeof(line), f)) {
        char *fields[7] = {0};
        size_t n = 0;
        char *s = line;
        line[strcspn(line, "\n")] = '\0';
        while (n < 7) {
            fields[n++] = s;
            char *c = strchr(s, ':');
            if (c == NULL)
                break;
            *c = '\0';
            s = c + 1;
        }
        int64_t uid, gid;
        if (n < 4 || !parse_id(fields[2], &uid) || !parse_id(fields[3], &gid))
            continue;
        if ((numeric && uid == want) || (!numeric && strcmp(fields[0], name) == 0)) {
            *ret_uid = uid;
            *ret_gid = gid;
            if (ret_name)
                *ret_name = xstrdup(fields[0]);
            found = true;
        }
    }
    fclose(f);
    return found;
}

/* gid of a group name in rootfs/etc/group; with user != NULL, appends the gids of groups
 * listing user as a member to gids. */
static bool group_scan(const char *rootfs, const char *group, int64_t *ret_gid, const char *user,
                       json_t *gids)
{
    FILE *f = rootfs_fopen(rootfs, "etc/group");
    if (f == NULL)
        return false;
    char line[4096];
    bool found = false;
    while (rootfs_fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        char *name = line, *c1 = strchr(line, ':');
        if (c1 == NULL)
            continue;
        *c1 = '\0';
        char *c2 = strchr(c1 + 1, ':');
        if (c2 == NULL)
            continue;
        char *gidstr = c2 + 1, *c3 = strchr(gidstr, ':');
        if (c3 == NULL)
            continue;
        *c3 = '\0';
        int64_t gid;
        if (!parse_id(gidstr, &gid))
            continue;
        if (group && strcmp(name, group) == 0) {
            *ret_gid = gid;
            found = true;
        }
        if (user && gids && json_array_size(gids) < MAX_GROUPS) {
            char *members = c3 + 1, *save = NULL;
            for (char *m = strtok_r(members, ",", &save); m; m = strtok_r(NULL, ",", &save))
                if (strcmp(m, user) == 0)
                    json_array_append_new(gids, json_integer(gid));
        }
    }
    fclose(f);
    return found;
}

static json_t *sc_field(json_t *csc, json_t *psc, const char *key)
{
    json_t *v = json_object_get(csc, key);
    return v && !json_is_null(v) ? v : json_object_get(psc, key);
}

/* kubelet's format.Pod: "name_namespace(uid)". malloc'd. */
static char *ocispec_pod_desc(json_t *pod)
{
    const char *name = json_path_str(pod, "metadata.name"), *ns = json_path_str(pod, "metadata.namespace"),
               *uid = json_path_str(pod, "metadata.uid");
    return xasprintf("%s_%s(%s)", name ? name : "", ns ? ns : "", uid ? uid : "");
}

static void gids_add(json_t *gids, int64_t gid)
{
    size_t i;
    json_t *v;
    json_array_foreach(gids, i, v)
        if (json_integer_value(v) == gid)
            return;
    if (json_array_size(gids) < MAX_GROUPS)
        json_array_append_new(gids, json_integer(gid));
}

/* process.user, after the runAsNonRoot check. */
static int build_user(const struct ocispec_input *in, json_t *csc, json_t *psc, json_t **ret_user,
                      const char **ret_reason, char **ret_msg)
{
    const char *cname = json_str(in->container, "name");
    json_t *run_uid = sc_field(csc, psc, "runAsUser"), *run_gid = sc_field(csc, psc, "runAsGroup");
    bool non_root = json_is_true(sc_field(csc, psc, "runAsNonRoot"));
    const char *image_user = json_str(in->image_config, "User");
    if (image_user == NULL)
        image_user = "";
    /* the image's user: "uid", "uid:gid", "name", "name:group" */
    const char *colon = strchr(image_user, ':');
    char *uname = colon ? xstrndup(image_user, (size_t)(colon - image_user)) : xstrdup(image_user);
    const char *gname = colon ? colon + 1 : NULL;
    int64_t uid = 0, gid = 0;
    bool uid_known = uname[0] == '\0' || parse_id(uname, &uid);
    int rc = 0;
    char *pod = NULL;
    if (non_root) {
        pod = ocispec_pod_desc(in->pod);
        if (json_is_integer(run_uid)) {
            if (json_integer_value(run_uid) == 0)
                *ret_msg = xasprintf("container's runAsUser breaks non-root policy (pod: \"%s\", container: %s)",
                                     pod, cname);
        } else if (!uid_known) {
            *ret_msg = xasprintf("container has runAsNonRoot and image has non-numeric user (%s), cannot "
                                 "verify user is non-root (pod: \"%s\", container: %s)", uname, pod, cname);
        } else if (uid == 0) {
            *ret_msg = xasprintf("container has runAsNonRoot and image will run as root (pod: \"%s\", "
                                 "container: %s)", pod, cname);
        }
        if (*ret_msg) {
            *ret_reason = "CreateContainerConfigError";
            rc = AZ_EINVALID;
            goto out;
        }
    }
    char *pwname = NULL;
    if (json_is_integer(run_uid)) {
        uid = json_integer_value(run_uid);
        int64_t pu, pg;
        char id[24];
        snprintf(id, sizeof(id), "%lld", (long long)uid);
        gid = passwd_lookup(in->rootfs, id, &pu, &pg, &pwname) ? pg : 0;
    } else if (uname[0] != '\0') {
        int64_t pu, pg;
        if (passwd_lookup(in->rootfs, uname, &pu, &pg, &pwname)) {
            uid = pu;
            gid = pg;
        } else if (!uid_known) {
            *ret_reason = "CreateContainerError";
            *ret_msg = xasprintf("failed to create containerd container: mount callback failed on "
                                 "/rootfs: no users found: unable to find user %s: no matching "
                                 "entries in passwd file", uname);
            rc = AZ_EINVALID;
            goto out;
        }
    }
    if (gname && *gname && !json_is_integer(run_gid)) {
        int64_t g;
        if (parse_id(gname, &g) || group_scan(in->rootfs, gname, &g, NULL, NULL)) {
            gid = g;
        } else {
            *ret_reason = "CreateContainerError";
            *ret_msg = xasprintf("failed to create containerd container: unable to find group %s: no "
                                 "matching entries in group file", gname);
            free(pwname);
            rc = AZ_EINVALID;
            goto out;
        }
    }
    if (json_is_integer(run_gid))
        gid = json_integer_value(run_gid);
    json_t *gids = json_array();
    gids_add(gids, gid);
    if (pwname) {
        json_t *member = json_array();
        group_scan(in->rootfs, NULL, NULL, pwname, member);
        size_t i;
        json_t *v;
        json_array_foreach(member, i, v)
            gids_add(gids, json_integer_value(v));
        json_decref(member);
    }
    free(pwname);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(psc, "supplementalGroups"), i, v)
        if (json_is_integer(v))
            gids_add(gids, json_integer_value(v));
    if (json_is_integer(json_object_get(psc, "fsGroup")))
        gids_add(gids, json_integer_value(json_object_get(psc, "fsGroup")));
    *ret_user = json_pack("{s:I, s:I, s:o}", "uid", (json_int_t)uid, "gid", (json_int_t)gid,
                          "additionalGids", gids);
out:
    free(pod);
    free(uname);
    return rc;
}

/* ---- process ------------------------------------------------------------------------ */

char *ocispec_expand(const char *in, json_t *env)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    for (const char *s = in; *s;) {
        if (s[0] == '$' && s[1] == '$') {
            buf_putc(&b, '$');
            s += 2;
        } else if (s[0] == '$' && s[1] == '(') {
            const char *end = strchr(s + 2, ')');
            if (end == NULL) {
                buf_puts(&b, s);
                break;
            }
            char *name = xstrndup(s + 2, (size_t)(end - s - 2));
            json_t *v = json_object_get(env, name);
            free(name);
            if (json_is_string(v))
                buf_puts(&b, json_string_value(v));
            else
                buf_append(&b, s, (size_t)(end - s + 1));
            s = end + 1;
        } else {
            buf_putc(&b, *s++);
        }
    }
    return buf_detach(&b, NULL);
}

static void append_strings(json_t *out, json_t *list, json_t *env)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        if (!json_is_string(v))
            continue;
        if (env) {
            char *e = ocispec_expand(json_string_value(v), env);
            json_array_append_new(out, json_string(e));
            free(e);
        } else {
            json_array_append(out, v);
        }
    }
}

static json_t *build_args(const struct ocispec_input *in, json_t *kenv)
{
    json_t *args = json_array();
    json_t *cmd = json_object_get(in->container, "command"), *cargs = json_object_get(in->container, "args");
    if (json_array_size(cmd) > 0) {
        append_strings(args, cmd, kenv);
        append_strings(args, cargs, kenv);
    } else {
        append_strings(args, json_object_get(in->image_config, "Entrypoint"), NULL);
        if (json_array_size(cargs) > 0)
            append_strings(args, cargs, kenv);
        else
            append_strings(args, json_object_get(in->image_config, "Cmd"), NULL);
    }
    return args;
}

/* image Env, overridden by the kubelet's variables (same key). */
static json_t *build_env(const struct ocispec_input *in, json_t *kenv)
{
    json_t *merged = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(in->image_config, "Env"), i, v) {
        const char *e = json_string_value(v);
        const char *eq = e ? strchr(e, '=') : NULL;
        if (eq == NULL)
            continue;
        char *k = xstrndup(e, (size_t)(eq - e));
        json_object_set_new(merged, k, json_string(eq + 1));
        free(k);
    }
    const char *k;
    json_object_foreach(kenv, k, v)
        json_object_set(merged, k, v);
    if (json_object_get(merged, "PATH") == NULL)
        json_object_set_new(merged, "PATH", json_string(DEFAULT_PATH));
    json_t *out = json_array();
    json_object_foreach(merged, k, v) {
        char *e = xasprintf("%s=%s", k, json_string_value(v));
        json_array_append_new(out, json_stringn_nocheck(e, strlen(e)));
        free(e);
    }
    json_decref(merged);
    return out;
}

/* ---- mounts ------------------------------------------------------------------------- */

static json_t *mount_entry(const char *dst, const char *type, const char *src, const char *opts)
{
    json_t *o = json_array();
    char *copy = xstrdup(opts);
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
        json_array_append_new(o, json_string(t));
    free(copy);
    return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
                     "options", o);
}

static json_t *build_mounts(const struct ocispec_input *in, bool privileged)
{
    json_t *m = json_array();
    json_array_append_new(m, mount_entry("/proc", "proc", "proc", "nosuid,noexec,nodev"));
    json_array_append_new(m, mount_entry("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
    json_array_append_new(m, mount_entry("/dev/pts", "devpts", "devpts",
                                   "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"));
    json_array_append_new(m, mount_entry("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
    json_array_append_new(m, mount_entry("/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k"));
    if (in->netns != NULL)
        json_array_append_new(m, mount_entry("/sys", "sysfs", "sysfs", privileged ? "nosuid,noexec,nodev"
                                                                            : "nosuid,noexec,nodev,ro"));
    else /* sysfs needs its own network namespace: the host's, bound read-only */
        json_array_append_new(m, mount_entry("/sys", "bind", "/sys", privileged ? "rbind,nosuid,noexec,nodev"
                                                                         : "rbind,nosuid,noexec,nodev,ro"));
    json_array_append_new(m, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                                   privileged ? "nosuid,noexec,nodev,relatime"
                                              : "nosuid,noexec,nodev,relatime,ro"));
    for (size_t i = 0; i < in->nmounts; i++) {
        const struct oci_mount *v = &in->mounts[i];
        json_array_append_new(m, mount_entry(v->destination, "bind", v->source,
                                       v->readonly ? "rbind,rprivate,ro" : "rbind,rprivate,rw"));
    }
    return m;
}

static const char *const masked_paths[] = {
    "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
    "/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL,
};

/* ---- host devices (privileged) ------------------------------------------------------ */

static void add_host_devices(const char *dir, json_t *out, int depth)
{
    static const char *const skip_dirs[] = {"pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev", NULL};
    DIR *d = depth < 8 ? opendir(dir) : NULL;
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *path = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0) {
            bool skip = false;
            for (size_t i = 0; skip_dirs[i]; i++)
                skip = skip || strcmp(e->d_name, skip_dirs[i]) == 0;
            if (S_ISDIR(st.st_mode) && !skip)
                add_host_devices(path, out, depth + 1);
            else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && strcmp(e->d_name, "console") != 0)
                json_array_append_new(out, json_pack("{s:s, s:s, s:I, s:I, s:i, s:i, s:i}", "path", path,
                                                     "type", S_ISCHR(st.st_mode) ? "c" : "b",
                                                     "major", (json_int_t)major(st.st_rdev),
                                                     "minor", (json_int_t)minor(st.st_rdev),
                                                     "fileMode", (int)(st.st_mode & 07777),
                                                     "uid", (int)st.st_uid, "gid", (int)st.st_gid));
        }
        free(path);
    }
    closedir(d);
}

json_t *ocispec_host_devices(const char *dev_dir)
{
    json_t *out = json_array();
    add_host_devices(dev_dir, out, 0);
    return out;
}

/* ---- resources ---------------------------------------------------------------------- */

static json_t *build_resources(json_t *container, bool privileged)
{
    json_t *r = json_object();
    json_object_set_new(r, "devices", privileged ? json_pack("[{s:b, s:s}]", "allow", 1, "access", "rwm")
                                                 : json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
    json_t *lim = json_path(container, "resources.limits"), *req = json_path(container, "resources.requests");
    int64_t v;
    if (ocispec_quantity(json_str(lim, "memory"), 1, &v) == 0 && v > 0)
        json_object_set_new(r, "memory", json_pack("{s:I, s:I}", "limit", (json_int_t)v, "swap", (json_int_t)v));
    json_t *cpu = json_object();
    const char *reqcpu = json_str(req, "cpu") ? json_str(req, "cpu") : json_str(lim, "cpu");
    int64_t shares = 2;
    if (ocispec_quantity(reqcpu, 1000, &v) == 0 && v > 0) {
        shares = v * 1024 / 1000;
        if (shares < 2)
            shares = 2;
        if (shares > 262144)
            shares = 262144;
    }
    json_object_set_new(cpu, "shares", json_integer(shares));
    if (ocispec_quantity(json_str(lim, "cpu"), 1000, &v) == 0 && v > 0) {
        int64_t quota = v * CPU_PERIOD / 1000;
        if (quota < 1000)
            quota = 1000;
        json_object_set_new(cpu, "quota", json_integer(quota));
        json_object_set_new(cpu, "period", json_integer(CPU_PERIOD));
    }
    json_object_set_new(r, "cpu", cpu);
    return r;
}

/* ---- the whole spec ----------------------------------------------------------------- */

static void ns_add(json_t *nss, const char *type, const char *path)
{
    json_t *n = json_pack("{s:s}", "type", type);
    if (path)
        json_object_set_new(n, "path", json_string(path));
    json_array_append_new(nss, n);
}

int ocispec_build(const struct ocispec_input *in, json_t **ret, const char **ret_reason, char **ret_msg)
{
    json_t *psc = json_path(in->pod, "spec.securityContext");
    json_t *csc = json_object_get(in->container, "securityContext");
    bool privileged = json_is_true(json_object_get(csc, "privileged"));
    json_t *user = NULL, *caps = NULL, *kenv = json_object();
    int rc = 0;
    *ret_msg = NULL;
    for (char *const *e = in->env; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (eq == NULL)
            continue;
        char *k = xstrndup(*e, (size_t)(eq - *e));
        json_object_set_new(kenv, k, json_stringn_nocheck(eq + 1, strlen(eq + 1)));
        free(k);
    }
    if ((rc = build_user(in, csc, psc, &user, ret_reason, ret_msg)) != 0)
        goto fail;
    if ((caps = container_caps(csc, privileged, ret_msg)) == NULL) {
        *ret_reason = "CreateContainerError";
        rc = AZ_EINVALID;
        goto fail;
    }
    json_t *args = build_args(in, kenv);
    if (json_array_size(args) == 0) {
        json_decref(args);
        *ret_reason = "CreateContainerError";
        *ret_msg = xstrdup("failed to generate container spec: no command specified");
        rc = AZ_EINVALID;
        goto fail;
    }
    const char *cwd = json_str(in->container, "workingDir");
    if (cwd == NULL || *cwd == '\0')
        cwd = json_str(in->image_config, "WorkingDir");
    if (cwd == NULL || *cwd != '/')
        cwd = "/";
    json_t *ape = json_object_get(csc, "allowPrivilegeEscalation");
    bool nnp = json_is_false(ape) && !privileged;
    json_t *process = json_pack("{s:b, s:o, s:o, s:o, s:s, s:{s:O, s:O, s:O, s:[]}, s:b}", "terminal",
                                json_is_true(json_object_get(in->container, "tty")),
                                "user", user, "args", args, "env", build_env(in, kenv), "cwd", cwd,
                                "capabilities", "bounding", caps, "effective", caps, "permitted", caps,
                                "inheritable", "noNewPrivileges", nnp);
    user = NULL;
    json_t *nss = json_array();
    ns_add(nss, "mount", NULL);
    if (!json_is_true(json_path(in->pod, "spec.hostPID")))
        ns_add(nss, "pid", in->pidns);
    if (in->ipcns)
        ns_add(nss, "ipc", in->ipcns);
    if (in->utsns)
        ns_add(nss, "uts", in->utsns);
    if (in->netns)
        ns_add(nss, "network", in->netns);
    json_t *linux_ = json_pack("{s:o, s:o, s:s}", "namespaces", nss, "resources",
                               build_resources(in->container, privileged), "cgroupsPath",
                               in->cgroups_path ? in->cgroups_path : "");
    if (privileged && in->host_devices != NULL) /* containerd: every host device, and the
                                                  * device cgroup allows all (build_resources) */
        json_object_set(linux_, "devices", in->host_devices);
    const char *proc_mount = json_str(csc, "procMount");
    bool unmasked = privileged || (proc_mount && strcmp(proc_mount, "Unmasked") == 0);
    if (!unmasked) {
        json_object_set_new(linux_, "maskedPaths", names_array(masked_paths));
        json_object_set_new(linux_, "readonlyPaths", names_array(readonly_paths));
    }
    json_t *sysctls = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(psc, "sysctls"), i, v)
        if (json_str(v, "name") && json_str(v, "value"))
            json_object_set_new(sysctls, json_str(v, "name"), json_string(json_str(v, "value")));
    if (json_object_size(sysctls))
        json_object_set_new(linux_, "sysctl", sysctls);
    else
        json_decref(sysctls);
    /* seccomp: the container's profile over the pod's; unset is RuntimeDefault */
    json_t *sp = json_object_get(csc, "seccompProfile");
    if (!json_is_object(sp))
        sp = json_object_get(psc, "seccompProfile");
    const char *stype = json_str(sp, "type");
    if (!privileged && (stype == NULL || strcmp(stype, "Unconfined") != 0)) {
        json_t *sec = NULL;
        if (stype && strcmp(stype, "Localhost") == 0) {
            if ((sec = seccomp_localhost(in->seccomp_dir, json_str(sp, "localhostProfile"), ret_msg)) == NULL) {
                *ret_reason = "CreateContainerError";
                json_decref(process);
                json_decref(linux_);
                rc = AZ_EINVALID;
                goto fail;
            }
        } else {
            sec = seccomp_runtime_default(caps);
        }
        json_object_set_new(linux_, "seccomp", sec);
    }
    bool ro = json_is_true(json_object_get(csc, "readOnlyRootFilesystem"));
    *ret = json_pack("{s:s, s:o, s:{s:s, s:b}, s:o, s:o}", "ociVersion", "1.0.2", "process", process,
                     "root", "path", in->rootfs, "readonly", ro, "mounts", build_mounts(in, privileged),
                     "linux", linux_);
fail:
    json_decref(user);
    json_decref(caps);
    json_decref(kenv);
    return rc;
}
