/* analyze.c — `anzen analyze`: flag parsing and wiring only (the analysis is src/analyze/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "analyze/analyze.h"
#include "cmd/cmd.h"
#include "util/buf.h"

static const char usage[] =
    "usage: anzen analyze [-f FILE_OR_DIR|-]... [--kubeconfig K [--context C]]\n"
    "                     [-o table|json|sarif|dot] [--no-defaults] [--fail-on SEVERITY]\n"
    "\n"
    "Every ServiceAccount privilege-escalation path, by the shortest path, with the grant\n"
    "behind each hop. With -f: manifests (YAML/JSON, multi-document, List kinds, Helm output;\n"
    "- for stdin), plus upstream 1.32's default roles and bindings unless --no-defaults.\n"
    "Without -f: the live cluster of --kubeconfig, $KUBECONFIG or ~/.kube/config (read-only).\n"
    "--fail-on low|medium|high|critical: exit 1 when a finding is at least that severe.\n";

int cmd_analyze(int argc, char **argv)
{
    static const struct option opts[] = {
        {"filename", required_argument, NULL, 'f'},
        {"output", required_argument, NULL, 'o'},
        {"kubeconfig", required_argument, NULL, 'k'},
        {"context", required_argument, NULL, 'c'},
        {"no-defaults", no_argument, NULL, 'n'},
        {"fail-on", required_argument, NULL, 'F'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char **files = xcalloc((size_t)argc + 1, sizeof(*files));
    size_t nfiles = 0;
    const char *kubeconfig = NULL, *context = NULL;
    enum analyze_format fmt = ANALYZE_TABLE;
    bool defaults = true;
    int fail_on = -1, c, rc = 2;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            files[nfiles++] = optarg;
            break;
        case 'o':
            if (strcmp(optarg, "table") == 0 || strcmp(optarg, "wide") == 0)
                fmt = ANALYZE_TABLE;
            else if (strcmp(optarg, "json") == 0)
                fmt = ANALYZE_JSON;
            else if (strcmp(optarg, "sarif") == 0)
                fmt = ANALYZE_SARIF;
            else if (strcmp(optarg, "dot") == 0)
                fmt = ANALYZE_DOT;
            else {
                fprintf(stderr, "anzen analyze: unknown output format \"%s\" (table, json, sarif, dot)\n", optarg);
                goto out;
            }
            break;
        case 'k':
            kubeconfig = optarg;
            break;
        case 'c':
            context = optarg;
            break;
        case 'n':
            defaults = false;
            break;
        case 'F':
            fail_on = analyze_severity_parse(optarg);
            if (fail_on <= 0) {
                fprintf(stderr, "anzen analyze: unknown severity \"%s\" (low, medium, high, critical)\n", optarg);
                goto out;
            }
            break;
        case 'h':
            fputs(usage, stdout);
            rc = 0;
            goto out;
        default:
            fputs(usage, stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "anzen analyze: unexpected argument \"%s\"\n%s", argv[optind], usage);
        goto out;
    }
    struct analyze_inventory inv;
    analyze_inventory_init(&inv);
    char *err = NULL;
    if (nfiles > 0) {
        for (size_t i = 0; i < nfiles && err == NULL; i++)
            analyze_load_path(&inv, files[i], &err);
        if (defaults && err == NULL)
            analyze_inventory_add_defaults(&inv);
    } else {
        char *home = NULL;
        if (kubeconfig == NULL && (kubeconfig = getenv("KUBECONFIG")) != NULL && strchr(kubeconfig, ':') != NULL)
            kubeconfig = NULL; /* a merged list: not supported, fall back to the default file */
        if (kubeconfig == NULL || *kubeconfig == '\0')
            kubeconfig = home = xasprintf("%s/.kube/config", getenv("HOME") ? getenv("HOME") : ".");
        enum analyze_progress pr = isatty(2) || getenv("ANZEN_PROGRESS") != NULL ? ANALYZE_PROGRESS_LIVE
                                                                                  : ANALYZE_PROGRESS_FINAL;
        analyze_live_load(&inv, kubeconfig, context, pr, &err);
        free(home);
    }
    if (err != NULL) {
        fprintf(stderr, "anzen analyze: %s\n", err);
        free(err);
        analyze_inventory_release(&inv);
        goto out;
    }
    json_t *report = analyze_run(&inv);
    analyze_inventory_release(&inv);
    bool color = fmt == ANALYZE_TABLE && isatty(1) && getenv("NO_COLOR") == NULL;
    char *text = analyze_render(report, fmt, color);
    fputs(text, stdout);
    if (fmt == ANALYZE_JSON || fmt == ANALYZE_SARIF)
        if (*text && text[strlen(text) - 1] != '\n')
            fputc('\n', stdout);
    free(text);
    rc = fail_on > 0 && (int)analyze_report_max_severity(report) >= fail_on ? 1 : 0;
    json_decref(report);
out:
    free(files);
    return rc;
}
