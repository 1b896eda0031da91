/* The state one assemble run carries between its steps (plan.c, build.c,
 * assemble.c). */
#ifndef PYOCI_ASSEMBLE_PLAN_INT_H
#define PYOCI_ASSEMBLE_PLAN_INT_H

#include "lib/layer/layer.h"
#include "lib/oci/image.h"
#include "assemble.h"
#include "asm_int.h"

#define PYOCI_DEBIAN_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"

typedef struct {
  const pyoci_assemble_opts_t *o;
  const char *goarch, *deb_arch, *machine;
  char *lock_path;
  char *requirements_sha256;  /* of the requirements file, NULL without one */
  pyoci_req_t *reqs;
  size_t n_reqs;
  char *suite;                /* the first suite (os-release) */
} pyoci_asm_ctx_t;

int pyoci_asm_arch(const char *goarch, const char **deb, const char **machine, pyoci_error_t **err);
/* Resolve the spec's packages into plan->debs, or (explain != NULL) only
 * explain o->explain. */
int pyoci_asm_resolve(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan, char **explain,
                      pyoci_error_t **err);
int pyoci_asm_check_lock(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *lock,
                         pyoci_error_t **err);

/* build.c: the three roots. */
int pyoci_asm_os_root(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *plan, const char *root,
                      pyoci_pyenv_t *env, pyoci_error_t **err);
int pyoci_asm_python_root(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, pyoci_lock_t *plan,
                          const pyoci_pyenv_t *env, const char *root, pyoci_error_t **err);
int pyoci_asm_app_root(const pyoci_spec_t *spec, const char *root, pyoci_error_t **err);
/* The interpreter and glibc the image will have, from the plan's packages. */
void pyoci_asm_image_env(const pyoci_lock_t *plan, const pyoci_asm_ctx_t *c, pyoci_pyenv_t *env);

/* compile.c: byte-compile py_root's site-packages with the interpreter of
 * os_dir (the OS root) in runc, py_root as the overlay's upper dir. */
int pyoci_asm_compile(const char *tmp, const char *os_dir, const pyoci_pyenv_t *env, const char *py_root,
                      pyoci_error_t **err);

/* oscache.c: the OS layer remembered in the store by what it is made of. */
void pyoci_asm_os_key(const pyoci_spec_t *spec, const pyoci_asm_ctx_t *c, const pyoci_lock_t *plan,
                      const pyoci_layer_opts_t *lo, char key[PYOCI_DIGEST_HEX_LEN + 1]);
bool pyoci_asm_os_cached(pyoci_store_t *s, const char *key, pyoci_desc_t *desc, char diff_id[PYOCI_DIGEST_LEN]);
void pyoci_asm_os_remember(pyoci_store_t *s, const char *key, const pyoci_desc_t *desc, const char *diff_id);

#endif
