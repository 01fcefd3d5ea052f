/* cli.h: the dsim command's subcommands and exit codes. */
#pragma once

#include <glib.h>

/* Exit codes, the same for every subcommand. */
enum {
  DSIM_EXIT_OK = 0,        /* everything checked holds */
  DSIM_EXIT_VIOLATION = 1, /* a model or invariant was violated */
  DSIM_EXIT_USAGE = 2,     /* bad input file or bad arguments */
  DSIM_EXIT_UNKNOWN = 3,   /* could not decide (timeout, memory cap) */
};

typedef struct {
  const char *name;
  const char *args;     /* "SCENARIO [options]" */
  const char *summary;  /* one line */
  int (*main) (int argc, char **argv); /* argv[0] is the subcommand name */
} DsimCommand;

/* Appends text word-wrapped at 78 columns, continuing the line `out` ends
 * with; text's own line breaks are kept, and every continuation line is
 * indented by `indent` spaces. */
void cli_append_wrapped (GString *out, const char *text, int indent);

/* A size: digits with an optional unit K, M, G or T (powers of 1024,
 * optionally followed by B or iB): "512M", "4G", "1000".  FALSE for a
 * sign, anything else after the number, or a size over 2^64 - 1. */
gboolean cli_parse_size (const char *text, gsize *out);
/* The default memory cap of a command: `dflt`, or a quarter of what the
 * process's address-space limit (ulimit -v) leaves free when that is
 * lower, so the limit is reached as `unknown` (exit 3) before an
 * allocation fails. */
gsize cli_default_memory_cap (gsize dflt);
/* The same for work done while an input of mapped_bytes is mapped into
 * the address space (a history being read): a quarter of what the limit
 * leaves free beside the mapping.  0 if that is less than
 * CLI_ROOM_BESIDE_MIN (the input does not fit beside the work). */
#define CLI_ROOM_BESIDE_MIN ((guint64) 16 << 20)
/* The least free address space `dsim run` checks a history in. */
#define CLI_ROOM_CHECKS_MIN ((guint64) 32 << 20)
gsize cli_default_memory_cap_beside (gsize dflt, guint64 mapped_bytes);
/* Bytes of address space a ulimit -v leaves free, or G_MAXUINT64. */
guint64 cli_address_space_free (void);
/* `threads`, or fewer (at least 1) if a ulimit -v leaves no room for the
 * stacks and allocation arenas of that many. */
int cli_threads_that_fit (int threads);

/* Prints "dsim: " + message to stderr and returns DSIM_EXIT_USAGE. */
int cli_usage_error (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

int cmd_list_main (int argc, char **argv);
int cmd_models_main (int argc, char **argv);
int cmd_run_main (int argc, char **argv);
int cmd_trace_main (int argc, char **argv);
int cmd_check_main (int argc, char **argv);
int cmd_fuzz_main (int argc, char **argv);
int cmd_explore_main (int argc, char **argv);

/* Draws the trace file `trace` as a space-time diagram (every event, by
 * virtual time) in format (svg, png, pdf, dot) into path.  Bad trace or
 * rendering failure: FALSE and an error naming the file. */
gboolean cli_trace_diagram_write (const char *trace, const char *format, const char *path,
                                  GError **error);
