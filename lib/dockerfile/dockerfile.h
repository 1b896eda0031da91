/* Dockerfile parsing, true to the Dockerfile reference and BuildKit's parser:
 * parser directives (# escape= / # syntax= / # check=), comments, line
 * continuations with the escape character, heredocs (<<EOF, <<-EOF,
 * <<"EOF") for RUN/COPY/ADD, exec (JSON) vs shell form, --flags, and the
 * per-instruction argument rules.  The result is a flat list of typed
 * instructions with their line numbers and original text; nothing is
 * expanded here (variables depend on ARG/ENV state, see plan.h).
 *
 * Errors are one line, "NAME:LINE: message" (NAME is what the caller passes,
 * normally the Dockerfile path as the user gave it). */
#ifndef PYOCI_DOCKERFILE_DOCKERFILE_H
#define PYOCI_DOCKERFILE_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/error.h"

#define PYOCI_DF_MAX_SIZE (1u << 20)   /* whole file */
#define PYOCI_DF_MAX_LINE 65536u       /* one physical line */
#define PYOCI_DF_MAX_INSTRUCTIONS 10000u
#define PYOCI_DF_MAX_HEREDOCS 64u      /* per instruction */

typedef enum {
  PYOCI_DF_FROM,
  PYOCI_DF_RUN,
  PYOCI_DF_CMD,
  PYOCI_DF_ENTRYPOINT,
  PYOCI_DF_SHELL,
  PYOCI_DF_ENV,
  PYOCI_DF_ARG,
  PYOCI_DF_LABEL,
  PYOCI_DF_EXPOSE,
  PYOCI_DF_USER,
  PYOCI_DF_WORKDIR,
  PYOCI_DF_VOLUME,
  PYOCI_DF_STOPSIGNAL,
  PYOCI_DF_HEALTHCHECK,
  PYOCI_DF_ONBUILD,
  PYOCI_DF_MAINTAINER,
  PYOCI_DF_COPY,
  PYOCI_DF_ADD,
} pyoci_df_kind_t;

/* A here-document attached to RUN/COPY/ADD. */
typedef struct {
  char *name;      /* delimiter with quotes removed ("EOF") */
  char *content;   /* body as written, each line with its newline */
  char *data;      /* body with leading tabs stripped when chomp, else == content's text */
  bool expand;     /* false when the delimiter was quoted: no variable expansion */
  bool chomp;      /* <<- */
  unsigned fd;     /* 3<<EOF; 0 when not given */
} pyoci_df_heredoc_t;

/* ENV/LABEL pairs and ARG declarations.  value is NULL for "ARG name". */
typedef struct {
  char *key;
  char *value;
  bool legacy; /* "ENV key value" form without '=' */
} pyoci_df_kv_t;

/* COPY/ADD source given inline as a heredoc. */
typedef struct {
  char *path; /* the heredoc name: the file name in the destination */
  char *data; /* contents (chomped if <<-) */
  bool expand;
} pyoci_df_inline_t;

typedef struct pyoci_df_instr pyoci_df_instr_t;

struct pyoci_df_instr {
  pyoci_df_kind_t kind;
  int line;       /* first line (1-based) */
  int end_line;   /* last line, heredoc bodies included */
  char *original; /* the instruction as written, continuations joined (history "created_by") */
  char **flags;   /* raw flags as given ("--from=build") */
  size_t n_flags;
  bool json;      /* exec form (JSON array) */

  /* RUN/CMD/ENTRYPOINT/SHELL and HEALTHCHECK CMD: exec form → the array;
   * shell form → one string (the rest of the line). */
  char **cmd;
  size_t n_cmd;
  pyoci_df_heredoc_t *heredocs;
  size_t n_heredocs;

  /* Plain arguments: FROM/EXPOSE/VOLUME/COPY/ADD words, USER/WORKDIR/
   * STOPSIGNAL/MAINTAINER (one string), ONBUILD (the trigger keyword). */
  char **args;
  size_t n_args;

  /* ENV, LABEL, ARG */
  pyoci_df_kv_t *kvs;
  size_t n_kvs;

  /* FROM */
  char *image;      /* base name as written (expanded by the planner) */
  char *stage_name; /* lower-cased "AS name", or NULL */
  char *platform;   /* --platform (FROM), NULL when absent */

  /* RUN */
  char *network;  /* --network: "default", "none", "host" or NULL */
  char *security; /* --security: "sandbox" or NULL */
  char **mounts;  /* --mount values as written (checked by run_mount.h), in order */
  size_t n_mounts;

  /* COPY/ADD */
  char **srcs; /* source paths (not expanded) */
  size_t n_srcs;
  pyoci_df_inline_t *inlines; /* heredoc sources */
  size_t n_inlines;
  char *dest;
  char *from;  /* COPY --from */
  char *chown; /* --chown */
  char *chmod; /* --chmod */
  bool link;   /* --link */
  bool parents; /* COPY --parents */
  char *checksum; /* ADD --checksum */
  bool keep_git_dir; /* ADD --keep-git-dir */
  char **excludes; /* --exclude (repeatable) */
  size_t n_excludes;

  /* HEALTHCHECK */
  bool hc_none;
  char **hc_test; /* ["CMD", ...] or ["CMD-SHELL", "..."] or ["NONE"] */
  size_t n_hc_test;
  int64_t hc_interval, hc_timeout, hc_start_period, hc_start_interval; /* ns; 0 = inherit default */
  int hc_retries;

  /* ONBUILD: the trigger text as stored in the image (OnBuild) and parsed */
  char *onbuild_expr;
  pyoci_df_instr_t *onbuild;
};

typedef struct {
  int line;
  char *msg; /* without the "NAME:LINE: " prefix */
} pyoci_df_warning_t;

typedef struct {
  char *name;   /* for messages */
  char escape;  /* '\\' or '`' */
  char *syntax; /* "# syntax=" value (read, ignored), or NULL */
  char *check;  /* "# check=" value, or NULL */
  pyoci_df_instr_t *instrs;
  size_t n_instrs;
  pyoci_df_warning_t *warnings; /* non-fatal findings (pyoci lint can show them) */
  size_t n_warnings;
} pyoci_dockerfile_t;

/* Parse a Dockerfile held in memory.  name labels messages ("Dockerfile"). */
pyoci_dockerfile_t *pyoci_dockerfile_parse(const char *buf, size_t len, const char *name, pyoci_error_t **err);
/* Read and parse path (at most PYOCI_DF_MAX_SIZE bytes); messages use path. */
pyoci_dockerfile_t *pyoci_dockerfile_load(const char *path, pyoci_error_t **err);
void pyoci_dockerfile_free(pyoci_dockerfile_t *df);
static inline void pyoci_dockerfile_freep(pyoci_dockerfile_t **p)
{
  if (*p)
    pyoci_dockerfile_free(*p);
}
#define cleanup_dockerfile __attribute__((cleanup(pyoci_dockerfile_freep)))

/* Parse an ONBUILD trigger as stored in an image config (OnBuild entries,
 * heredoc bodies included) into one instruction; errors point at lineno. */
pyoci_df_instr_t *pyoci_df_parse_trigger(const char *expr, const char *name, int lineno, pyoci_error_t **err);
void pyoci_df_instr_free(pyoci_df_instr_t *in);
/* Deep copy. */
pyoci_df_instr_t *pyoci_df_instr_dup(const pyoci_df_instr_t *in);

/* "FROM", "RUN", ... */
const char *pyoci_df_kind_name(pyoci_df_kind_t kind);

/* Parse a Go duration ("1m30s", "500ms", "2h") into nanoseconds. */
int pyoci_df_parse_duration(const char *s, int64_t *ns);

/* The argv RUN executes, given the stage's SHELL (NULL/empty = /bin/sh -c):
 * exec form as is; shell form wrapped in the shell; a lone heredoc becomes
 * its body run by the shell; other heredocs are re-assembled for the shell.
 * *script is set (caller frees) when the heredoc starts with "#!": the
 * executor must write it to a file and run argv[0] = that file's path,
 * which this function sets to "/dev/pipes/<name>" as BuildKit does. */
char **pyoci_df_run_argv(const pyoci_df_instr_t *run, char *const *shell, size_t n_shell, char **script,
                         size_t *argc);

#endif
