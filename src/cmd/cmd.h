/* cmd.h — the subcommands of the anzen binary (one row each in main.c's table). */
#ifndef ANZEN_CMD_CMD_H
#define ANZEN_CMD_CMD_H

int cmd_serve(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_image(int argc, char **argv);

#endif
