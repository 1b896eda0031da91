/* pyoci's version, shown by `pyoci --version` and written into SBOMs and
 * SARIF logs as the producing tool's version. */
#ifndef PYOCI_UTIL_VERSION_H
#define PYOCI_UTIL_VERSION_H

#define PYOCI_VERSION "0.1.0"

#endif
