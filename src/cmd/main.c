/* main.c — the anzen binary: dispatches to a subcommand (src/cmd/). */
#include <stdio.h>
#include <string.h>
#include "registry/discovery.h"
#include "cmd/cmd.h"

struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
};

static int cmd_version(int argc, char **argv);

static const struct subcommand commands[] = {
    {"serve", cmd_serve, "API server + controllers (embedded SQLite storage)"},
    {"analyze", cmd_analyze, "privilege-escalation paths of manifests or a live cluster"},
    {"image", cmd_image, "import / list / pull / unpack images in the node's OCI image store"},
    {"version", cmd_version, "print the version"},
};

static int cmd_version(int argc, char **argv)
{
    printf("anzen (Kubernetes API %s)\n", ANZEN_K8S_GIT_VERSION);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2) {
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
            if (strcmp(argv[1], commands[i].name) == 0)
                return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "usage: anzen COMMAND [flags]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(stderr, "  %-10s %s\n", commands[i].name, commands[i].help);
    return 2;
}
