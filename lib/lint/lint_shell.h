/* Internal to lib/lint: RUN's shell text split into simple commands, enough
 * to see "apt-get install" and its options, "set -o pipefail", or a pipe.
 * Not a shell: no expansion, subshells and functions are flattened. */
#ifndef PYOCI_LINT_LINT_SHELL_H
#define PYOCI_LINT_LINT_SHELL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
  char **words; /* quotes removed; leading VAR=value words and sudo/env dropped */
  size_t n;
} lint_cmd_t;

typedef struct {
  lint_cmd_t *cmds;
  size_t n;
  bool has_pipe; /* a '|' that is not '||' outside quotes */
} lint_script_t;

/* Split script (NUL-terminated).  Never fails; bounded by its length. */
void pyoci_lint_script_parse(const char *script, lint_script_t *out);
void pyoci_lint_script_release(lint_script_t *s);

/* The command's program name without directories ("/usr/bin/pip3" -> "pip3"). */
const char *pyoci_lint_cmd_name(const lint_cmd_t *c);
/* True when some word equals w. */
bool pyoci_lint_cmd_has(const lint_cmd_t *c, const char *w);

#endif
