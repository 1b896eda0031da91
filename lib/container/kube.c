/* The ephemeral-container patch kubectl debug sends.  kubectl builds a
 * corev1.EphemeralContainer (k8s.io/kubectl pkg/cmd/debug/debug.go,
 * generateDebugContainer: name, env, image, imagePullPolicy, stdin,
 * terminationMessagePolicy "File", tty, targetContainerName, command),
 * applies the profile ("general" adds capability SYS_PTRACE), and PATCHes
 * pods/NAME/ephemeralcontainers with the strategic merge patch between the
 * pod and the pod with the container appended: for a pod without ephemeral
 * containers that is {"spec":{"ephemeralContainers":[<the container>]}}.
 * Go's encoding/json writes "resources":{} for the empty struct, and the
 * patch library sorts keys; so do we. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "debug.h"

/* kubectl's nameSuffixFunc: utilrand.String(5) over "bcdfghjklmnpqrstvwxz2456789". */
static void debugger_name(char out[16])
{
  static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  unsigned char r[5] = {0};
  if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
    memset(r, 0, sizeof(r));
  snprintf(out, 16, "debugger-");
  for (int i = 0; i < 5; i++)
    out[9 + i] = alphabet[r[i] % (sizeof(alphabet) - 1)];
  out[14] = '\0';
}

json_t *pyoci_kube_debug_patch(const pyoci_kube_debug_t *k, pyoci_error_t **err)
{
  if (k->pod == NULL || *k->pod == '\0' || k->image == NULL || *k->image == '\0') {
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--kubernetes needs a pod name and a debug image");
    return NULL;
  }
  char name[16];
  debugger_name(name);
  json_t *c = json_pack("{s:s, s:s, s:{}, s:s}", "name", k->name ? k->name : name, "image", k->image, "resources",
                        "terminationMessagePolicy", "File");
  if (k->command && k->command[0]) {
    json_t *cmd = json_array();
    for (char *const *a = k->command; *a; a++)
      json_array_append_new(cmd, json_string(*a));
    json_object_set_new(c, "command", cmd);
  }
  if (k->interactive)
    json_object_set_new(c, "stdin", json_true());
  if (k->tty)
    json_object_set_new(c, "tty", json_true());
  if (k->container && *k->container)
    json_object_set_new(c, "targetContainerName", json_string(k->container));
  if (k->profile && strcmp(k->profile, "general") == 0)
    json_object_set_new(c, "securityContext", json_pack("{s:{s:[s]}}", "capabilities", "add", "SYS_PTRACE"));
  else if (k->profile && strcmp(k->profile, "legacy") != 0) {
    json_decref(c);
    pyoci_error_set_code(err, PYOCI_E_INVALID, 0, "--profile %s: only legacy and general are supported", k->profile);
    return NULL;
  }
  return json_pack("{s:{s:[o]}}", "spec", "ephemeralContainers", c);
}
